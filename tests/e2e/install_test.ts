/**
 * End to end: `deploy/install.sh` on a fresh Debian 12 (a debootstrap root filesystem,
 * `docker import`ed by tests/env/installer.sh), from the offline bundle `deploy/pack.sh`
 * makes. The container gets the host's Docker socket; systemd cannot run in it, so the
 * installer runs in its documented test mode (`--service-manager none`: units written,
 * both programs started in the background), and the units are checked with
 * `systemd-analyze verify` instead.
 *
 * Covers: a busy port is refused before anything is installed; the install ends with
 * AgentPod answering /readyz, Traefik polling it and `agentpod doctor` passing against the
 * host's engine, with the image loaded from the bundle; a second run changes no file and
 * restarts nothing; `--uninstall` keeps the data and a reinstall (from the unpacked
 * bundle) finds it again; `--uninstall --purge` removes everything.
 * @module
 */
import assert from "node:assert/strict";
import { dockerCli, waitFor } from "./_harness.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const DEBIAN = Deno.env.get("AGENTPOD_DEBIAN_IMAGE") ?? "agentpod-test/debian:12";
const OPENCLAW = "agentpod/openclaw:2026.9.6";
const decoder = new TextDecoder();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(cmd: string, args: string[]): Promise<Run> {
  const out = await new Deno.Command(cmd, { args, cwd: ROOT, stdout: "piped", stderr: "piped" })
    .output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** Runs a bash script inside the container. */
function inside(container: string, script: string): Promise<Run> {
  return dockerCli("exec", container, "bash", "-c", script);
}

function ok(result: Run, what: string): string {
  assert.equal(result.code, 0, `${what} failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** Paths, modes, owners and checksums of everything the installer writes. */
const MANIFEST = `
for p in /opt/agentpod /etc/agentpod /var/lib/agentpod /usr/local/bin/agentpod \\
  /etc/systemd/system/agentpod.service /etc/systemd/system/agentpod-traefik.service; do
  find "$p" -maxdepth 0 -printf '%p %m %u:%g\\n'
done
find /opt/agentpod /etc/agentpod -printf '%p %m %u:%g\\n' | sort
find /opt/agentpod /etc/agentpod /usr/local/bin/agentpod /etc/systemd/system -name 'agentpod*' \\
  -type f -o -path '/opt/agentpod/*' -type f | sort | xargs sha256sum
id agentpod
`;

const PIDS = "cat /run/agentpod/agentpod.pid /run/agentpod/agentpod-traefik.pid";

async function doctor(
  container: string,
): Promise<{ ok: boolean; checks: { name: string; ok: boolean; message?: string }[] }> {
  const out = await inside(container, "agentpod doctor --format json");
  return JSON.parse(out.stdout || '{"ok":false,"checks":[]}');
}

Deno.test("install.sh on a fresh Debian 12 from the offline bundle: serves, routes, reruns, uninstalls", async (t) => {
  const suffix = crypto.randomUUID().slice(0, 8);
  // A tag of its own, so that the installer really loads the image from the bundle.
  const image = `agentpod-test/openclaw-load:${suffix}`;
  const container = `agentpod-install-${suffix}`;
  const work = await Deno.makeTempDir({ prefix: "agentpod-install-" });
  const bundle = `${work}/agentpod-bundle.tar`;
  try {
    ok(await dockerCli("tag", OPENCLAW, image), "docker tag");
    const packed = await run("bash", ["deploy/pack.sh", "--output", bundle, "--image", image]);
    ok(packed, "deploy/pack.sh");
    assert.equal(packed.stdout.trim().split("\n").at(-1), bundle);
    ok(await dockerCli("rmi", image), "docker rmi (the tag only)");

    ok(
      await dockerCli(
        "run",
        "-d",
        "--init", // an init that reaps, as on a real host
        "--name",
        container,
        "-v",
        "/var/run/docker.sock:/var/run/docker.sock",
        "-v",
        `${bundle}:/root/agentpod-bundle.tar:ro`,
        "-v",
        `${ROOT}deploy/install.sh:/root/install.sh:ro`,
        DEBIAN,
        "sleep",
        "infinity",
      ),
      "docker run",
    );
    const install =
      "bash /root/install.sh --bundle /root/agentpod-bundle.tar --service-manager none";

    await t.step(
      "refusals: an unknown option, a port another program holds, a damaged bundle",
      async () => {
        const bad = await inside(container, "bash /root/install.sh --frobnicate");
        assert.equal(bad.code, 1);
        assert.match(bad.stderr, /unknown option '--frobnicate'/);
        // perl-base is in every Debian; it holds port 443 like another web server would.
        ok(
          await inside(
            container,
            `perl -MIO::Socket::INET -e 'my $s = IO::Socket::INET->new(LocalPort => 443, Listen => 1, ReuseAddr => 1) or die; sleep 600' & echo $! > /tmp/holder; sleep 1; grep -q ':01BB 00000000:0000 0A' /proc/net/tcp /proc/net/tcp6`,
          ),
          "port holder",
        );
        const busy = await inside(container, install);
        assert.equal(busy.code, 1, busy.stderr);
        assert.match(busy.stderr, /port 443 is already in use by another program/);
        assert.doesNotMatch(busy.stderr, /\n\s+at /);
        ok(
          await inside(container, "kill $(cat /tmp/holder); test ! -e /opt/agentpod"),
          "nothing installed",
        );
        // A damaged bundle: its checksums do not match.
        const damaged = await inside(
          container,
          "mkdir -p /tmp/bad/agentpod && cd /tmp/bad && echo 0.0.0 > agentpod/VERSION && " +
            "echo '0000000000000000000000000000000000000000000000000000000000000000  VERSION' > agentpod/SHA256SUMS && " +
            "tar -cf /tmp/bad.tar agentpod && bash /root/install.sh --bundle /tmp/bad.tar --service-manager none",
        );
        assert.equal(damaged.code, 1, damaged.stderr);
        assert.match(damaged.stderr, /checksums do not match: it is damaged/);
        ok(
          await inside(container, "test ! -e /opt/agentpod && ! id agentpod 2>/dev/null"),
          "nothing installed",
        );
      },
    );

    let password = "";
    await t.step(
      "installs: /readyz, Traefik polling, doctor passing, the image loaded",
      async () => {
        const first = await inside(container, install);
        ok(first, "install.sh");
        password = first.stdout.match(/Admin password:\s+(\S+)/)?.[1] ?? "";
        assert.match(password, /^[A-Za-z0-9]{24}$/, first.stdout);
        assert.match(first.stdout, /Dashboard and API: http:\/\/127\.0\.0\.1:7070/);
        assert.match(first.stderr, new RegExp(`loading ${image.replace(/[/.]/g, "\\$&")}`));
        ok(await dockerCli("image", "inspect", image), "the bundle's image is on the engine");

        const ready = JSON.parse(
          ok(await inside(container, "curl -fsS http://127.0.0.1:7070/readyz"), "readyz"),
        );
        assert.equal(ready.ready, true);
        const report = await waitFor(
          "agentpod doctor to pass",
          async () => {
            const r = await doctor(container);
            return r.ok && r.checks.every((c) => c.ok) ? r : undefined;
          },
          60_000,
          1000,
        );
        const traefik = report.checks.find((c) => c.name === "traefik");
        assert.match(traefik?.message ?? "", /last polled/);
        assert.ok(report.checks.find((c) => c.name === "docker")?.ok);

        const modes = ok(
          await inside(
            container,
            "stat -c '%n %a %U' /var/lib/agentpod /etc/agentpod/agentpod.env /etc/agentpod/traefik.yml; " +
              "stat -c '%U' /proc/$(cat /run/agentpod/agentpod.pid) /proc/$(cat /run/agentpod/agentpod-traefik.pid)",
          ),
          "stat",
        );
        assert.match(modes, /\/var\/lib\/agentpod 700 agentpod/);
        assert.match(modes, /agentpod\.env 600 root/);
        assert.match(modes, /traefik\.yml 640 root/);
        assert.deepEqual(modes.trim().split("\n").slice(3), ["agentpod", "agentpod"]);
        // The dashboard takes the printed password.
        const login = ok(
          await inside(
            container,
            "curl -s -c /tmp/jar http://127.0.0.1:7070/login | " +
              `sed -n 's/.*name="_csrf" value="\\([^"]*\\)".*/\\1/p' | head -n 1 > /tmp/csrf && ` +
              `curl -s -b /tmp/jar -o /dev/null -w '%{http_code}' --data-urlencode "_csrf=$(cat /tmp/csrf)" ` +
              `-d 'password=${password}' http://127.0.0.1:7070/login`,
          ),
          "login",
        );
        assert.equal(login, "303");
      },
    );

    await t.step("a second run changes no file and restarts nothing", async () => {
      const before = ok(await inside(container, MANIFEST), "manifest");
      const pids = ok(await inside(container, PIDS), "pids");
      const again = await inside(container, install);
      ok(again, "install.sh again");
      assert.match(again.stderr, /nothing changed/);
      assert.doesNotMatch(again.stdout, /Admin password/);
      assert.equal(ok(await inside(container, MANIFEST), "manifest"), before);
      assert.equal(ok(await inside(container, PIDS), "pids"), pids);
    });

    await t.step("the systemd units pass systemd-analyze verify", async () => {
      ok(
        await inside(
          container,
          "apt-get install -y -qq systemd >/tmp/apt-systemd.log 2>&1 || { apt-get update -qq && apt-get install -y -qq systemd; } >/tmp/apt-systemd.log 2>&1",
        ),
        "apt-get install systemd",
      );
      const verify = await inside(
        container,
        "systemd-analyze verify /etc/systemd/system/agentpod.service /etc/systemd/system/agentpod-traefik.service",
      );
      assert.equal(verify.code, 0, verify.stderr);
      assert.equal((verify.stdout + verify.stderr).trim(), "", "no warnings");
      const unit = ok(await inside(container, "cat /etc/systemd/system/agentpod.service"), "unit");
      for (
        const line of [
          "NoNewPrivileges=yes",
          "ProtectSystem=strict",
          "ReadWritePaths=/var/lib/agentpod",
        ]
      ) {
        assert.ok(unit.includes(line), line);
      }
    });

    await t.step(
      "--uninstall keeps the data; a reinstall from the unpacked bundle finds it",
      async () => {
        const token = ok(await inside(container, "cat /var/lib/agentpod/admin-token"), "token");
        const pids = ok(await inside(container, PIDS), "pids").trim().split("\n");
        ok(
          await inside(container, "bash /root/install.sh --uninstall --service-manager none"),
          "uninstall",
        );
        const gone = await inside(
          container,
          `for p in ${pids.join(" ")}; do kill -0 $p 2>/dev/null && echo "alive $p"; done; ` +
            "test ! -e /opt/agentpod && test ! -e /usr/local/bin/agentpod && echo removed; " +
            "test -d /var/lib/agentpod/pgdata && test -f /etc/agentpod/agentpod.env && echo kept",
        );
        assert.equal(gone.stdout.trim(), "removed\nkept");

        const again = await inside(
          container,
          "mkdir -p /root/unpacked && tar -C /root/unpacked -xf /root/agentpod-bundle.tar && " +
            "bash /root/unpacked/agentpod/install.sh --service-manager none",
        );
        ok(again, "reinstall");
        assert.doesNotMatch(again.stdout, /Admin password/, "the password is printed once");
        assert.equal(
          ok(await inside(container, "cat /var/lib/agentpod/admin-token"), "token"),
          token,
        );
        await waitFor(
          "agentpod doctor to pass again",
          async () => (await doctor(container)).ok,
          60_000,
          1000,
        );
      },
    );

    await t.step(
      "--uninstall --purge removes the data, the configuration and the user",
      async () => {
        ok(
          await inside(
            container,
            "bash /root/install.sh --uninstall --purge --service-manager none",
          ),
          "purge",
        );
        const left = await inside(
          container,
          "ls -d /opt/agentpod /var/lib/agentpod /etc/agentpod /usr/local/bin/agentpod 2>/dev/null; id agentpod 2>/dev/null; true",
        );
        assert.equal(left.stdout.trim(), "");
      },
    );
  } finally {
    await dockerCli("rm", "-f", container);
    await dockerCli("rmi", image);
    await Deno.remove(work, { recursive: true });
  }
});
