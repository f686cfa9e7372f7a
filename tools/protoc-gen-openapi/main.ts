// Entry point: buf runs `node tools/protoc-gen-openapi/main.ts` (types stripped by Node).

import { runNodeJs } from "@bufbuild/protoplugin";
import { plugin } from "./plugin.ts";

runNodeJs(plugin);
