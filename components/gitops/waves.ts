// Sync waves of the root app's children: an app's ExternalSecrets sync one wave before its
// Application, each Application after every app it depends on, and an app's setup Jobs one
// wave after it.

import type { GitOpsApp } from "../catalog";

export const applicationWave = (app: GitOpsApp) => 2 * app.wave + 1;
export const secretWave = (app: GitOpsApp) => 2 * app.wave;
