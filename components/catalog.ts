// The platform catalog: every app the platform can run, as plain data.
//
// The core add-ons and the Argo CD-managed apps arrive with their own issues; until then the
// catalog is empty, and `fawkes:apps` accepts only an empty map.

export interface CatalogApp {
    readonly name: string;
    /** Whether the app runs when `fawkes:apps` does not mention it. */
    readonly enabledByDefault: boolean;
}

export const catalogApps: readonly CatalogApp[] = [];

export function catalogAppNames(): string[] {
    return catalogApps.map((a) => a.name);
}
