// An independent SCIM 2.0 service provider for Gatehouse's outbound provisioning tests: SCIMMY's resources and
// SCIMMY Routers' endpoints on Express, users and groups kept in memory, every request authenticated with the bearer
// token in the environment variable SCIM_TOKEN. It listens on a random loopback port and prints {"port": N}. With
// SCIM_LENIENT=1 it accepts a second user with a taken userName, as some apps do, so that a client's duplicate
// creates show.
import crypto from "node:crypto";
import express from "express";
import SCIMMY from "scimmy";
import SCIMMYRouters from "scimmy-routers";

const token = process.env.SCIM_TOKEN;
const lenient = process.env.SCIM_LENIENT === "1";
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
            const clash = !lenient && [...byId.values()].find((r) => r.id !== resource.id &&
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
            let all = [...byId.values()];
            // A lookup by the unique attribute (how clients match) narrows the list before SCIMMY's filter runs.
            const only = resource.filter?.length === 1 && Object.keys(resource.filter[0]).length === 1 && resource.filter[0][unique];
            if (Array.isArray(only) && only[0] === "eq") {
                all = all.filter((r) => String(r[unique]).toLowerCase() === String(only[1]).toLowerCase());
            }
            return resource.filter ? resource.filter.match(all) : all;
        },
        size: () => byId.size,
        names: () => [...byId.values()].map((r) => r[unique]),
        degress: (resource) => {
            if (!byId.delete(resource.id)) {
                throw new SCIMMY.Types.Error(404, null, `${type} ${resource.id} not found`);
            }
        },
    };
}

const stores = {};
for (const [resource, type, unique] of [[SCIMMY.Resources.User, "User", "userName"], [SCIMMY.Resources.Group, "Group", "displayName"]]) {
    const s = store(type, unique);
    stores[type] = s;
    SCIMMY.Resources.declare(resource).ingress(s.ingress).egress(s.egress).degress(s.degress);
}

const app = express();
// How many resources there are and the userNames of all users, without listing them through SCIMMY (which costs
// the time of a full listing, and whose paging does not take startIndex from the query here); not part of SCIM, and
// read only by the tests.
app.get("/stats", (request, response) => {
    response.json({users: stores.User.size(), groups: stores.Group.size(),
        userNames: request.query.names === "1" ? stores.User.names() : undefined});
});
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
