// Offline schema check of Kubernetes manifests: each YAML document is validated against the Kubernetes OpenAPI
// schema compiled into the kubernetes-models package (no cluster, no network: kubeconform and kubeval are not
// installable here, and kubectl's validation needs an API server).
// The schemas allow unknown fields, so a typo (`readinessprobe:`) would pass. The compiled validators read every
// property their schema knows: the object is wrapped in proxies that record those reads, and a field the validator
// never read is reported as unknown. Maps (labels, annotations) are read by iterating their keys, which marks every
// key as known.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";

const dir = process.argv[2] ?? "../kubernetes";
const skip = new Set(["Kustomization"]); // kustomize's own file, not an API object
let objects = 0;
const errors = [];

function schemaName(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["core", apiVersion];
  const name = group.split(".")[0];
  return `IoK8sApi${name[0].toUpperCase()}${name.slice(1)}${version[0].toUpperCase()}${version.slice(1)}${kind}`;
}

// Wraps every object node in a proxy that records which keys were read or whether its keys were enumerated.
function track(value, path, nodes) {
  if (value === null || typeof value !== "object") return value;
  const node = { path, value, read: new Set(), enumerated: false, isArray: Array.isArray(value) };
  nodes.push(node);
  const children = new Map();
  return new Proxy(value, {
    get(target, key, receiver) {
      if (typeof key === "string") node.read.add(key);
      const child = Reflect.get(target, key, receiver);
      if (child === null || typeof child !== "object" || typeof key !== "string") return child;
      if (!children.has(key)) children.set(key, track(child, `${path}/${key}`, nodes));
      return children.get(key);
    },
    ownKeys(target) {
      node.enumerated = true;
      return Reflect.ownKeys(target);
    },
  });
}

for (const file of readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort()) {
  for (const doc of parseAllDocuments(readFileSync(join(dir, file), "utf8"))) {
    if (doc.errors.length > 0) {
      errors.push(`${file}: YAML: ${doc.errors.map((e) => e.message).join("; ")}`);
      continue;
    }
    const object = doc.toJS();
    if (object === null || object === undefined || skip.has(object.kind)) continue;
    const where = `${file}: ${object.kind ?? "?"}/${object.metadata?.name ?? "?"}`;
    let validate;
    try {
      ({ validate } = await import(`kubernetes-models/_schemas/${schemaName(String(object.apiVersion), String(object.kind))}`));
    } catch {
      errors.push(`${where}: no schema for apiVersion ${object.apiVersion} kind ${object.kind}`);
      continue;
    }
    const nodes = [];
    const valid = validate(track(object, "", nodes));
    if (!valid) {
      for (const e of validate.errors ?? []) errors.push(`${where}: ${e.instancePath || "/"} ${e.keyword} ${JSON.stringify(e.params)}`);
      continue;
    }
    const unknown = [];
    for (const node of nodes) {
      if (node.enumerated || node.isArray) continue;
      for (const key of Object.keys(node.value)) if (!node.read.has(key)) unknown.push(`${node.path}/${key}`);
    }
    if (unknown.length > 0) {
      errors.push(`${where}: unknown field(s) ${unknown.join(", ")}`);
      continue;
    }
    objects++;
  }
}

for (const error of errors) console.error(`error ${error}`);
console.log(`deploy check: ${objects} objects valid, ${errors.length} errors`);
process.exit(errors.length === 0 && objects > 0 ? 0 : 1);
