// The installer's screens, as one lazily loaded chunk.
export { InstallerHome } from "./InstallerHome.tsx";
export { HouseholdScreen } from "./HouseholdScreen.tsx";
