// Lints an email HTML file against the caniemail data (doiuse-email), for the clients named
// on the command line; prints doiuse-email's result as JSON. Used by tests/test_render_email_tools.py.
import { readFileSync } from "node:fs";
import { doIUseEmail } from "doiuse-email";

const [file, ...clients] = process.argv.slice(2);
const html = readFileSync(file, "utf8");
process.stdout.write(JSON.stringify(doIUseEmail(html, { emailClients: clients })));
