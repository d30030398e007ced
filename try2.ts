import { renderStack } from "./scripts/render/render";
import { renderTargets } from "./scripts/render/sources";
import { podMakers, allContainers } from "./scripts/render/pods";
import { coreAddons, enabledGitopsApps } from "./components/catalog";
(async () => {
  const name = process.argv[2] ?? "dev";
  const t = renderTargets(["dev","prod","prod-aks"]).find(t => t.name === name)!;
  const r = await renderStack(t);
  const c = r.sources.config;
  const apps = [...coreAddons({provider: c.cluster.provider, ha: c.ha, ingressController: c.ingress.controller}), ...enabledGitopsApps(c.apps)];
  for (const ch of r.charts) {
    const app = apps.find(a => a.name === ch.install.app)!;
    console.log(`== ${app.name} (pool ${app.pool})`);
    for (const w of app.workloads) console.log(`   catalog ${w.kind} ${w.name} x${w.replicas}: ${w.containers.map(k => `${k.name}${k.init?"(init)":""} ${k.requests.cpu}/${k.requests.memory} ${k.limits.cpu}/${k.limits.memory}`).join(", ")}`);
    for (const p of podMakers(ch.objects, ch.install.namespace)) {
      const res = (x: any) => x ? `${x.requests?.cpu ?? "-"}/${x.requests?.memory ?? "-"} ${x.limits?.cpu ?? "-"}/${x.limits?.memory ?? "-"}` : "NONE";
      console.log(`   render  ${p.kind} ${p.name} x${p.replicas}${p.hooks.length ? " hook:"+p.hooks.join("+") : ""} ns=${JSON.stringify(p.template.spec.nodeSelector ?? {})}: ${allContainers(p.template.spec).map(({container: k, init}) => `${k.name}${init?"(init)":""} ${res(k.resources)}`).join(", ")}`);
    }
  }
})().catch(e => { console.error(e); process.exit(1); });
