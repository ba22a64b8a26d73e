import { useEffect, useState } from "preact/hooks";
import { ErrorBoundary, lazy, LocationProvider, Route, Router, useLocation } from "preact-iso";
import { Services, type AppServices } from "./context.ts";
import { CallScreen } from "./family/CallScreen.tsx";
import { CameraScreen } from "./family/CameraScreen.tsx";
import { IncomingCall } from "./family/IncomingCall.tsx";
import { NoticeToast } from "./family/NoticeToast.tsx";
import { FamilyHome } from "./family/FamilyHome.tsx";
import { LoginScreen } from "./LoginScreen.tsx";
import { homeOf, type Session } from "./session.ts";

// Installers and staff download their screens only when they sign in: the family's phone never does.
const installerApp = () => import("./installer/installer-app.ts");
const staffApp = () => import("./staff/staff-app.ts");
const InstallerHome = lazy(() => installerApp().then((m) => m.InstallerHome));
const HouseholdScreen = lazy(() => installerApp().then((m) => m.HouseholdScreen));
const StaffConsole = lazy(() => staffApp().then((m) => m.StaffConsole));
const DeviceScreen = lazy(() => staffApp().then((m) => m.DeviceScreen));
const VillageScreen = lazy(() => staffApp().then((m) => m.VillageScreen));
const AccountsScreen = lazy(() => staffApp().then((m) => m.AccountsScreen));
const BatchScreen = lazy(() => staffApp().then((m) => m.BatchScreen));
const StaffWellbeing = lazy(() => staffApp().then((m) => m.WellbeingChecksScreen));
const InstallerWellbeing = lazy(() => installerApp().then((m) => m.WellbeingChecksScreen));
// One's account (password, phones signed in), joining and 忘记密码 are visited rarely: not in the first download.
const AccountScreen = lazy(() => import("./AccountScreen.tsx").then((m) => m.AccountScreen));
const JoinScreen = lazy(() => import("./JoinScreen.tsx").then((m) => m.JoinScreen));
const ForgotPasswordScreen = lazy(() => import("./ForgotPasswordScreen.tsx").then((m) => m.ForgotPasswordScreen));

export function App({ services }: { services: AppServices }) {
  const [session, setSession] = useState(services.session.current());
  useEffect(() => services.session.subscribe(setSession), [services]);
  useEffect(() => {
    if (session) services.live.start(session.token);
    else services.live.stop();
  }, [session?.token]);
  useSlidingSession(services);
  return (
    <Services.Provider value={services}>
      <LocationProvider>
        <ErrorBoundary>
          <Routes session={session} />
          {session?.user.role === "family" ? <IncomingCall /> : null}
          {session?.user.role === "family" ? <NoticeToast /> : null}
        </ErrorBoundary>
      </LocationProvider>
    </Services.Provider>
  );
}

function Routes({ session }: { session: Session | null }) {
  const location = useLocation();
  const open = location.path === "/login" || location.path === "/forgot-password" || location.path.startsWith("/join");
  useEffect(() => {
    if (!session && !open) location.route(`/login?next=${encodeURIComponent(location.url)}`, true);
  }, [session, open]);
  if (!session && !open) return null;
  return (
    <Router>
      <Route path="/login" component={LoginScreen} />
      <Route path="/forgot-password" component={ForgotPasswordScreen} />
      <Route path="/join/:code?" component={JoinScreen} />
      <Route path="/family" component={FamilyHome} />
      <Route path="/family/camera/:deviceId" component={CameraScreen} />
      <Route path="/family/call/:callId" component={CallScreen} />
      <Route path="/installer" component={InstallerHome} />
      <Route path="/installer/household/:householdId" component={HouseholdScreen} />
      <Route path="/staff" component={StaffConsole} />
      <Route path="/staff/device/:deviceId" component={DeviceScreen} />
      <Route path="/staff/village/:village" component={VillageScreen} />
      <Route path="/staff/accounts" component={AccountsScreen} />
      <Route path="/account" component={AccountScreen} />
      <Route path="/staff/batches" component={BatchScreen} />
      <Route path="/staff/wellbeing" component={StaffWellbeing} />
      <Route path="/installer/wellbeing" component={InstallerWellbeing} />
      <Route default component={() => <Redirect to={homeOf(session)} />} />
    </Router>
  );
}

/**
 * A family member's session moves on with use (30 days from the last): each time the live socket opens, the
 * server says until when, and the kept session is updated, so a phone used every week never signs out.
 */
function useSlidingSession(services: AppServices): void {
  useEffect(
    () =>
      services.live.onState((state) => {
        const current = services.session.current();
        if (state !== "open" || !current) return;
        services.api.get<{ sessionExpiresAt?: string }>("/auth/me").then(
          (me) => {
            const now = services.session.current();
            if (me.sessionExpiresAt && now?.token === current.token)
              services.session.set({ ...now, expiresAt: me.sessionExpiresAt });
          },
          () => {},
        );
      }),
    [services],
  );
}

function Redirect({ to }: { to: string }) {
  const { route } = useLocation();
  useEffect(() => route(to, true), [to]);
  return null;
}
