// One stack's render, attributed to the catalog: for every app the stack runs, the pod makers
// its chart and its setup Jobs render and the ones its operators create at run time. The
// checks (catalog, admission, quotas, images) and the reports read this.

import { type CatalogApp, stackCatalog } from "../../components/catalog";
import type { K8sObject } from "./helm-template";
import { operatorObjects, type OperatorObject } from "./operator-pods";
import { allContainers, type PodMaker, podMakers } from "./pods";
import type { RenderedChart, StackRender } from "./render";

export interface AppRun {
    readonly app: CatalogApp;
    /** The chart render of the app (its Helm release or Argo CD Application). */
    readonly chart?: RenderedChart;
    /** Pod makers its chart and the root tree (setup Jobs) render, in its namespace. */
    readonly rendered: readonly PodMaker[];
    /** Pods and controllers operators create for it at run time, named as its catalog workloads. */
    readonly operatorMade: readonly PodMaker[];
}

export interface StackAnalysis {
    readonly render: StackRender;
    readonly apps: readonly AppRun[];
    /** Every object of the stack: charts, the root tree, operator-made objects. */
    readonly objects: readonly { readonly app: string; readonly object: K8sObject; readonly origin: "chart" | "tree" | "operator" }[];
}

const width = (p: PodMaker) => allContainers(p.template.spec).length;

/** An operator's object as a pod maker named after its catalog workload, with its run-time count. */
function asPodMaker(o: OperatorObject): PodMaker {
    const [maker] = podMakers([o.object], o.object.metadata.namespace ?? "");
    return { ...maker, name: o.workload, replicas: maker.replicas * o.count };
}

export function analyse(render: StackRender): StackAnalysis {
    const apps = stackCatalog(render.sources.config);
    const chartOf = (name: string) => render.charts.find((c) => c.install.app === name);
    const treeIn = (namespace: string) => render.tree.filter((o) => o.metadata.namespace === namespace);
    const rendered = new Map(apps.map((app) => [app.name, [...podMakers(chartOf(app.name)?.objects ?? [], app.namespace), ...podMakers(treeIn(app.namespace), app.namespace)]]));
    const inputs = {
        objectsOf: (name: string) => (chartOf(name)?.objects ?? []).map((o) => ({ ...o, metadata: { ...o.metadata, namespace: o.metadata.namespace ?? chartOf(name)!.install.namespace } })),
        apps: apps.map((a) => ({ name: a.name, namespace: a.namespace })),
        programObjects: render.sources.programObjects as K8sObject[],
    };
    // Trivy scans every pod of the platform's namespaces, operator-made ones too: its scan Job
    // is as wide as the widest of them (a first pass finds the operator-made pods).
    const firstPass = operatorObjects({ ...inputs, widestPod: 1 }).filter((o) => o.operator !== "trivy-operator").map(asPodMaker);
    const widestPod = Math.max(...[...rendered.values()].flat().map(width), ...firstPass.map(width));
    const made = operatorObjects({ ...inputs, widestPod });
    const runs = apps.map(
        (app): AppRun => ({
            app,
            chart: chartOf(app.name),
            rendered: rendered.get(app.name) ?? [],
            operatorMade: made.filter((o) => o.app === app.name).map(asPodMaker),
        }),
    );
    const objects = [
        ...render.charts.flatMap((c) => c.objects.map((object) => ({ app: c.install.app, object, origin: "chart" as const }))),
        ...render.tree.map((object) => ({ app: apps.find((a) => a.namespace === object.metadata.namespace)?.name ?? "root", object, origin: "tree" as const })),
        ...made.map((o) => ({ app: o.app, object: o.object, origin: "operator" as const })),
    ];
    return { render, apps: runs, objects };
}
