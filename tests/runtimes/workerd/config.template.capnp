# config.template.capnp: the workerd configuration for the smoke test, with two blanks (the
# at-sign markers below) that tests/runtimes/workerd-smoke.mjs fills in, writing the result
# to build/workerd/config.capnp:
#   ADDRESS  the 127.0.0.1:<free port> the worker listens on (loopback only);
#   MODULES  one entry per module: worker.js, hindsight.wasm (a wasm module, as Workers
#            users import it), smoke-queries.js, and every js/**/*.js file of the package.
# Embed paths are relative to the written config file.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "main", worker = .smokeWorker) ],
  sockets = [ (name = "http", address = "@ADDRESS@", http = (), service = "main") ],
);

const smokeWorker :Workerd.Worker = (
  modules = [
@MODULES@
  ],
  compatibilityDate = "2025-01-01",
);
