// The staff's screens, as one lazily loaded chunk.
export { StaffConsole } from "./StaffConsole.tsx";
export { DeviceScreen } from "./DeviceScreen.tsx";
export { VillageScreen } from "./DeviceLists.tsx";
export { AccountsScreen } from "./AccountsScreen.tsx";
export { BatchScreen } from "./BatchScreen.tsx";
export { WellbeingChecksScreen } from "../ui/WellbeingChecks.tsx";
