// Independent SCIM references for Gatehouse's differential tests. Reads one JSON request per line on stdin and
// answers one JSON line on stdout:
//   {"op":"patch","resource":{...},"patch":{...}}  -> {"result":{...}} or {"error":"..."}   (scim-patch)
//   {"op":"parse","filter":"..."}                  -> {"result":<AST>} or {"error":"..."}   (scim2-parse-filter)
//   {"op":"match","filter":"...","resources":[..]} -> {"result":[indexes]}                   (scim2-parse-filter)
//   {"op":"validate","type":"User","resource":{}}  -> {"result":<coerced>} or {"error":"..."} (scimmy)
import readline from "node:readline";
import { scimPatch } from "scim-patch";
import { parse, filter } from "scim2-parse-filter";
import SCIMMY from "scimmy";

SCIMMY.Resources.declare(SCIMMY.Resources.User).extend(SCIMMY.Schemas.EnterpriseUser, false);
SCIMMY.Resources.declare(SCIMMY.Resources.Group);

function answer(req) {
  switch (req.op) {
    case "patch":
      return scimPatch(req.resource, req.patch.Operations, { mutateDocument: false, treatMissingAsAdd: true });
    case "parse":
      return parse(req.filter);
    case "match": {
      const f = filter(parse(req.filter));
      return req.resources.map((r, i) => (f(r) ? i : -1)).filter((i) => i >= 0);
    }
    case "validate": {
      const schema = req.type === "Group" ? SCIMMY.Schemas.Group : SCIMMY.Schemas.User;
      return schema.definition.coerce(req.resource, "out");
    }
  }
  throw new Error("unknown op " + req.op);
}

const rl = readline.createInterface({ input: process.stdin });
rl.on("line", (line) => {
  let out;
  try {
    out = { result: answer(JSON.parse(line)) };
  } catch (e) {
    out = { error: String(e && e.message ? e.message : e) };
  }
  process.stdout.write(JSON.stringify(out) + "\n");
});
