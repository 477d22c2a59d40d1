// The dockerode side of tests/bench/docker_client.ts (run under Node by that script):
// the same operations, the same measurement loop, JSON lines on stdout.
import { createRequire } from "node:module";

const require = createRequire(process.env.NODE_PATH + "/");
const Docker = require("dockerode");
const [target, label, seconds] = process.argv.slice(2);
const docker = new Docker({ socketPath: "/var/run/docker.sock" });
const filters = { label: [label] };

async function measure(op, inFlight) {
  for (let i = 0; i < 50; i++) await op();
  let done = 0;
  const end = performance.now() + Number(seconds) * 1000;
  const start = performance.now();
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (performance.now() < end) {
      await op();
      done++;
    }
  }));
  return done / ((performance.now() - start) / 1000);
}

for (const inFlight of [1, 8]) {
  const list = await measure(() => docker.listContainers({ all: true, filters }), inFlight);
  console.log(JSON.stringify({ client: "dockerode", op: "list", inFlight, rps: Math.round(list) }));
  const inspect = await measure(() => docker.getContainer(target).inspect(), inFlight);
  console.log(
    JSON.stringify({ client: "dockerode", op: "inspect", inFlight, rps: Math.round(inspect) }),
  );
}
