import { test, expect } from "./fixtures";
import { hydrated } from "./pages";

// The release build's bundle, as a browser fetches it: the page links files named by their
// content, sent as compressed at build time, which the browser may keep for a year.
test("the page links the content-named bundle, sent precompressed and kept for a year", async ({ page }) => {
  const bundle: { url: string; encoding?: string; length?: string; cache?: string }[] = [];
  page.on("response", async (response) => {
    if (new URL(response.url()).pathname.startsWith("/pkg/")) {
      const headers = await response.allHeaders();
      bundle.push({
        url: response.url(),
        encoding: headers["content-encoding"],
        length: headers["content-length"],
        cache: headers["cache-control"],
      });
    }
  });
  const response = await page.goto("/login");
  expect(response?.headers()["cache-control"]).toBe("no-store");
  await hydrated(page);

  const names = bundle.map((f) => new URL(f.url).pathname).sort();
  expect(names).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^\/pkg\/frontdesk\.[A-Za-z0-9_-]{22}\.css$/),
      expect.stringMatching(/^\/pkg\/frontdesk\.[A-Za-z0-9_-]{22}\.js$/),
      expect.stringMatching(/^\/pkg\/frontdesk\.[A-Za-z0-9_-]{22}\.wasm$/),
    ]),
  );
  for (const file of bundle) {
    // Chromium asks for brotli over HTTPS and localhost, gzip elsewhere: both are on disk.
    expect(["br", "gzip"], file.url).toContain(file.encoding);
    // Compressed on the fly, a file would be sent in chunks, without a length.
    expect(Number(file.length), file.url).toBeGreaterThan(0);
    expect(file.cache, file.url).toBe("public, max-age=31536000, immutable");
  }
});
