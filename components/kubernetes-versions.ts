// Kubernetes minor versions each backend accepts, checked on 2026-11-25.
//
// - kind: the node images published with kind v0.33.0 (the release current on that day).
//   kind only supports images built for its own release, so each is pinned by digest as the
//   release notes ask.
// - EKS: versions in standard or extended support. 1.31 leaves extended support on
//   2026-11-26, so it is excluded; 1.32 and 1.33 are in extended support (extra cost),
//   1.34 leaves standard support on 2026-12-02. 1.36 is assumed available from EKS's usual
//   lag behind upstream; 1.37 is not accepted until EKS lists it.
// - AKS: the generally available N-2 window plus the newest minor. Not verified against a
//   live `az aks get-versions` here.
//
// Update this table when a backend moves its window; the tests read it, not copies of it.

import type { ClusterProvider } from "./config-types";

export interface VersionWindow {
    readonly supported: readonly string[];
    readonly defaultVersion: string;
}

export const kubernetesVersions: Readonly<Record<ClusterProvider, VersionWindow>> = {
    kind: { supported: ["1.34", "1.35", "1.36", "1.37"], defaultVersion: "1.35" },
    eks: { supported: ["1.32", "1.33", "1.34", "1.35", "1.36"], defaultVersion: "1.35" },
    aks: { supported: ["1.33", "1.34", "1.35", "1.36"], defaultVersion: "1.35" },
};

/** kind node images for kind v0.33.0, from its release notes. */
export const kindNodeImages: Readonly<Record<string, string>> = {
    "1.37": "kindest/node:v1.37.0@sha256:a1ed56cfb0e7b93589bdf97c8cd566405a265939e3620fc4f5de89adff580ae5",
    "1.36": "kindest/node:v1.36.4@sha256:099e049362a1526b2db71494e1947aae99bd16290d7c895f2b7ea312e3cbfaed",
    "1.35": "kindest/node:v1.35.8@sha256:07b2536e30b803ed61d1677a79df6115f798ce64c80f9e22f6ed45afd09323c0",
    "1.34": "kindest/node:v1.34.11@sha256:44e222ee2132dab25ff87301682f89eb82c7880ea3a1bf543bfe9708fd08d67d",
};

/** The kind release the node images above belong to. */
export const kindRelease = "v0.33.0";
