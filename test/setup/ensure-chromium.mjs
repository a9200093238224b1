// Runs before `npm test` (the pretest script): the e2e project drives Debian's headless
// Chromium, so the test command itself makes sure it is there. Never a silent skip:
// either Chromium is installed (as root on Debian, through apt) or this exits non-zero
// with one line that says how to get it.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

const path = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
if (existsSync(path)) process.exit(0);

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
if (!isRoot || !existsSync("/etc/debian_version") || process.env.CHROMIUM_PATH) {
  console.error(`npm test needs headless Chromium at ${path}: run \`sudo apt-get install -y chromium\` (Debian/Ubuntu) or set CHROMIUM_PATH to a Chromium binary.`);
  process.exit(1);
}
console.log("Installing Debian's chromium package for the browser tests (apt-get, once)...");
const apt = (...args) => execFileSync("apt-get", args, { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
try {
  // Wait for another apt (a second test run, unattended upgrades) instead of failing on its lock.
  const wait = ["-o", "DPkg::Lock::Timeout=600"];
  apt(...wait, "update", "-qq");
  apt(...wait, "install", "-y", "-qq", "--no-install-recommends", "chromium");
} catch {
  console.error("apt-get install chromium failed; install it by hand (`apt-get install -y chromium`) and run npm test again.");
  process.exit(1);
}
if (!existsSync(path)) {
  console.error(`chromium installed but ${path} is missing; set CHROMIUM_PATH to the binary.`);
  process.exit(1);
}
