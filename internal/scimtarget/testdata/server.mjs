// An independent SCIM 2.0 service provider for Gatehouse's outbound provisioning tests: SCIMMY's resources and
// SCIMMY Routers' endpoints on Express, users and groups kept in memory, every request authenticated with the bearer
// token in the environment variable SCIM_TOKEN. It listens on a random loopback port and prints {"port": N}.
import crypto from "node:crypto";
import express from "express";
import SCIMMY from "scimmy";
import SCIMMYRouters from "scimmy-routers";

const token = process.env.SCIM_TOKEN;
if (!token) {
    console.error("SCIM_TOKEN is not set");
    process.exit(2);
}

// store keeps the resources of one type by id; each is what SCIMMY gave the ingress handler, with id and meta.
function store(type, unique) {
    const byId = new Map();
    return {
        ingress: (resource, instance) => {
            const now = new Date().toISOString();
            const clash = [...byId.values()].find((r) => r.id !== resource.id &&
                String(r[unique]).toLowerCase() === String(instance[unique]).toLowerCase());
            if (clash) {
                throw new SCIMMY.Types.Error(409, "uniqueness", `${unique} ${instance[unique]} is already taken`);
            }
            if (resource.id) {
                const old = byId.get(resource.id);
                if (!old) {
                    throw new SCIMMY.Types.Error(404, null, `${type} ${resource.id} not found`);
                }
                const next = {...instance, id: old.id, meta: {...old.meta, lastModified: now}};
                byId.set(old.id, next);
                return next;
            }
            const id = crypto.randomUUID();
            const next = {...instance, id, meta: {resourceType: type, created: now, lastModified: now}};
            byId.set(id, next);
            return next;
        },
        egress: (resource) => {
            if (resource.id) {
                const r = byId.get(resource.id);
                if (!r) {
                    throw new SCIMMY.Types.Error(404, null, `${type} ${resource.id} not found`);
                }
                return r;
            }
            const all = [...byId.values()];
            return resource.filter ? resource.filter.match(all) : all;
        },
        degress: (resource) => {
            if (!byId.delete(resource.id)) {
                throw new SCIMMY.Types.Error(404, null, `${type} ${resource.id} not found`);
            }
        },
    };
}

for (const [resource, type, unique] of [[SCIMMY.Resources.User, "User", "userName"], [SCIMMY.Resources.Group, "Group", "displayName"]]) {
    const s = store(type, unique);
    SCIMMY.Resources.declare(resource).ingress(s.ingress).egress(s.egress).degress(s.degress);
}

const app = express();
app.use("/scim/v2", new SCIMMYRouters({
    type: "bearer",
    handler: (request) => {
        if (request.header("Authorization") !== `Bearer ${token}`) {
            throw new Error("The bearer token is missing or wrong");
        }
        return "gatehouse";
    },
}));
const server = app.listen(0, "127.0.0.1", () => {
    console.log(JSON.stringify({port: server.address().port}));
});
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
