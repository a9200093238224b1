// TEST ONLY: preloaded (`node --import`) into the reference MCP server, whose Streamable HTTP
// mode listens on every interface (`app.listen(PORT)`) with no host setting: a listen on a bare
// port binds to 127.0.0.1 instead, so the tests open nothing beyond this machine.
import net from "node:net";

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const [first, ...rest] = args;
  const port = typeof first === "number" ? first : typeof first === "string" && /^\d+$/.test(first) ? Number(first) : undefined;
  if (port === undefined || (rest.length > 0 && typeof rest[0] !== "function")) return listen.apply(this, args);
  return listen.call(this, port, "127.0.0.1", ...rest);
};
