// Sync waves. In the root app, each app's Application syncs after every app it depends on
// (the root app waits for a child Application to be healthy: see applicationHealthLua).
// Inside an app's own Application, its ExternalSecrets sync before the chart (Argo CD waits
// for them to be healthy, i.e. for the Secret to be written from Vault, before any pod of
// the chart is created) and its setup Jobs after it (the app is healthy first).

import type { GitOpsApp } from "../catalog";

/** The app's Application in the root app-of-apps. */
export const applicationWave = (app: GitOpsApp) => app.wave;
/** The app's ExternalSecrets, inside its Application: before the chart's objects (wave 0). */
export const secretWave = (_app: GitOpsApp) => -1;
/** The app's setup Jobs, inside its Application: after the chart's objects are healthy. */
export const setupJobWave = (_app: GitOpsApp) => 1;
