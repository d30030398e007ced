import { renderStack } from "./scripts/render/render";
import { renderTargets } from "./scripts/render/sources";
import { podMakers } from "./scripts/render/pods";
import { compareCatalog } from "./scripts/render/catalog-check";
import { stackApps } from "./scripts/render/stack-apps";
(async () => {
  for (const t of renderTargets(["dev","prod","prod-aks"])) {
    const r = await renderStack(t);
    const apps = stackApps(r.sources.config);
    for (const app of apps) {
      const ch = r.charts.find(c => c.install.app === app.name);
      const pods = [...(ch ? podMakers(ch.objects, ch.install.namespace) : []), ...podMakers(r.tree.filter(o => o.metadata.namespace === app.namespace), app.namespace)];
      for (const p of compareCatalog(app, pods)) console.log(`${t.name} ${app.name}: ${p}`);
    }
  }
})().catch(e => { console.error(e); process.exit(1); });
