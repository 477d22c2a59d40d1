/**
 * Tests: a network's IPv4 gateway from every IPAM shape engines report, including the
 * fresh daemon's default bridge (a Subnet and no Gateway).
 * @module
 */
import assert from "node:assert/strict";
import { derivedGateway, ipamGateway, resolveGateway } from "./network_gateway.ts";

Deno.test("resolveGateway() uses the recorded Gateway when the engine gives one", () => {
  const config = [{ Subnet: "172.23.0.0/16", Gateway: "172.23.0.1" }];
  assert.deepEqual(resolveGateway(config), { gateway: "172.23.0.1", source: "ipam" });
});

Deno.test("resolveGateway() copes with a fresh daemon's bridge: Subnet, no Gateway", () => {
  // `docker network inspect bridge` right after dockerd first created its data root.
  const config = [{ Subnet: "172.17.0.0/16" }];
  assert.equal(ipamGateway(config), null);
  assert.deepEqual(resolveGateway(config), { gateway: "172.17.0.1", source: "subnet" });
  // An attached container's endpoint, when there is one, is what the container sees.
  assert.deepEqual(resolveGateway(config, "172.17.0.1"), {
    gateway: "172.17.0.1",
    source: "endpoint",
  });
});

Deno.test("resolveGateway() skips IPv6 pools and gateways written with a prefix", () => {
  const config = [
    { Subnet: "fd00:1::/64", Gateway: "fd00:1::1" },
    { Subnet: "10.40.0.0/24", Gateway: "10.40.0.254/24" },
  ];
  assert.deepEqual(resolveGateway(config), { gateway: "10.40.0.254", source: "ipam" });
  assert.equal(derivedGateway([{ Subnet: "fd00:2::/64" }]), null);
});

Deno.test("derivedGateway() follows the IPRange addresses are allocated from", () => {
  assert.equal(derivedGateway([{ Subnet: "10.8.0.0/16", IPRange: "10.8.4.0/24" }]), "10.8.4.1");
  assert.equal(derivedGateway([{ Subnet: "192.168.77.128/25" }]), "192.168.77.129");
  assert.equal(derivedGateway([{ Subnet: "10.9.0.5/16" }]), "10.9.0.1"); // host bits ignored
});

Deno.test("resolveGateway() is null when no IPv4 pool exists (the caller says so)", () => {
  assert.equal(resolveGateway(null), null);
  assert.equal(resolveGateway([]), null);
  assert.equal(resolveGateway([{ Subnet: "fd00:3::/64" }]), null);
  assert.equal(resolveGateway([{ Subnet: "10.0.0.0/31" }]), null);
  assert.equal(resolveGateway([{ Subnet: "bogus" }], "not-an-ip"), null);
});
