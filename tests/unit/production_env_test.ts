import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

// In one process the local stack loads React before a function sets NODE_ENV=production
// (shared/platform/production.ts). React and its server renderer must still be one build,
// or every email fails to render ("dispatcher.getOwner is not a function").
Deno.test("an email renders when NODE_ENV turns production after React was loaded", async () => {
  const script = `
    Deno.env.delete("NODE_ENV");
    const { CATALOG } = await import("./shared/messages/catalog.ts");
    await import("./shared/platform/production.ts");
    const { makeLead, makeSettings } = await import("./tests/unit/_fixtures.ts");
    const lead = makeLead();
    const email = await CATALOG.customer_confirmation_email.render({
      lead, settings: makeSettings(), recipient: "jane@example.com", photoUrls: [],
      priority: "normal", setup: { adminEmail: "admin@example.com" },
    });
    console.log(email.html.includes(lead.reference_number) ? "rendered" : "wrong");
  `;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", script],
    cwd: fileURLToPath(new URL("../../", import.meta.url)),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(stdout).trim();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  assert.equal(out, "rendered");
});
