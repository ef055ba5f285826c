import { chromium } from 'playwright-core';
const [,, url, out, w] = process.argv;
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless','--no-sandbox','--disable-gpu','--disable-background-networking'] });
const p = await b.newPage({ viewport: { width: Number(w || 1100), height: 900 } });
await p.goto(url);
await p.screenshot({ path: out, fullPage: false });
await b.close();
