// Writes prisma/<provider>/schema.prisma from prisma/schema.template.prisma for each provider.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const template = readFileSync(join(root, "prisma/schema.template.prisma"), "utf8");
for (const provider of ["sqlite", "postgresql"] as const) {
  const header = "// GENERATED from prisma/schema.template.prisma by scripts/prisma-schemas.ts. Do not edit.\n";
  const out = join(root, "prisma", provider, "schema.prisma");
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, header + template.replaceAll("__PROVIDER__", provider));
}
