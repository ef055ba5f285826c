// A unit's journey through govsite in headless Chromium, with axe-core on every page visited:
// register, activate from the e-mailed link, sign in, change the password, edit 单位信息 with a
// mistake and correct it, sign out. Starts its own govsite and SMTP sink; stops them at the end.
//
// usage: GOVSITE_BIN=/path/to/govsite node journey.mjs
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const AXE = require.resolve('axe-core/axe.min.js');
const BIN = process.env.GOVSITE_BIN;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
if (!BIN) throw new Error('set GOVSITE_BIN to the govsite binary');

let passed = 0;
let failed = 0;
const failures = [];
function check(ok, what) {
  if (ok) { passed += 1; } else { failed += 1; failures.push(what); console.error(`FAIL: ${what}`); }
}

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function waitFor(fn, what, ms = 30000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const work = mkdtempSync(join(tmpdir(), 'govsite-journey-'));
const mailDir = mkdtempSync(join(tmpdir(), 'govsite-mail-'));
const smtpPort = await freePort();
const httpPort = await freePort();
const base = `http://127.0.0.1:${httpPort}`;

const sink = spawn('python3', [join(here, '../crates/govsite/tests/support/smtp_sink.py'), String(smtpPort), mailDir], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((resolve, reject) => {
  sink.stdout.on('data', (d) => { if (String(d).includes('READY')) resolve(); });
  sink.on('exit', (code) => reject(new Error(`SMTP sink exited ${code}`)));
});
const server = spawn(BIN, ['serve', '--data-dir', join(work, 'data'), '--http', `127.0.0.1:${httpPort}`,
  '--smtp-host', '127.0.0.1', '--smtp-port', String(smtpPort)], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, GOVSITE_LOG: 'warn' } });
await waitFor(async () => { try { return (await fetch(`${base}/readyz`)).ok; } catch { return false; } }, 'govsite to be ready');

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
// bypassCSP lets the test inject axe-core; govsite's own pages run under their strict CSP.
const context = await browser.newContext({ bypassCSP: true, locale: 'zh-CN' });
const page = await context.newPage();
const visited = new Set();

async function axe(label) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
  }));
  const violations = result.violations.map((v) => `${v.id} (${v.nodes.length}): ${v.help}`);
  check(violations.length === 0, `axe on ${label}: ${violations.join('; ')}`);
  check((await page.getAttribute('html', 'lang')) === 'zh-CN', `lang=zh-CN on ${label}`);
  visited.add(label);
}

async function fill(fields) {
  for (const [id, value] of Object.entries(fields)) await page.fill(`#${id}`, value);
}

try {
  // 1. Register.
  await page.goto(`${base}/`);
  await axe('首页');
  // Control: axe must be able to fail here, so plant a real violation and expect it found.
  await page.evaluate(() => { const i = document.createElement('img'); i.id = 'axe-control'; i.src = '/static/none.png'; document.body.append(i); });
  const control = await page.evaluate(() => window.axe.run(document, { runOnly: { type: 'rule', values: ['image-alt'] } }));
  check(control.violations.length === 1, 'axe control: an image without alt text is reported');
  await page.evaluate(() => document.getElementById('axe-control').remove());
  await page.click('text=新用户注册 >> nth=-1');
  await page.waitForURL('**/register');
  await axe('新用户注册');
  await fill({
    name: '靖远县浏览器测试局', credit_code: '11620421D000091739',
    parent_org: '靖远县人民政府', functions: '负责全县浏览器测试工作。',
    address: '甘肃省白银市靖远县乌兰镇', postcode: '730600',
    leader_name: '张三', leader_phone: '0943-6123456', leader_address: '靖远县新统办大楼',
    leader_email: 'zhang@test.example', leader_postcode: '730600',
    webmaster_name: '李四', webmaster_phone: '13800000001', webmaster_address: '靖远县新统办大楼',
    webmaster_email: 'li@test.example', webmaster_postcode: '730600',
    handler_name: '王五', handler_mobile: '13900000002', handler_email: 'wang@test.example',
  });
  await page.selectOption('#org_type', 'government');
  await page.selectOption('#region_code', '620421');
  await page.click('button:has-text("下一步")');
  const title = await page.title();
  if (title.startsWith('错误')) {
    // The credit code above is computed for the test; if the form rejects it, show why.
    const summary = await page.textContent('.error-summary');
    throw new Error(`registration rejected: ${summary}`);
  }
  await axe('核对注册信息');
  check((await page.textContent('main')).includes('甘肃省 白银市 靖远县'), 'check page shows the region');
  await page.click('button:has-text("确认提交")');
  await axe('注册成功');
  const username = (await page.textContent('.big-ref')).trim();
  check(/^\d{8}$/.test(username), `account number ${username}`);

  // 2. Activate from the e-mailed link.
  const mail = await waitFor(() => {
    const files = readdirSync(mailDir).filter((f) => f.endsWith('.txt'));
    return files.length ? readFileSync(join(mailDir, files[0]), 'utf8') : null;
  }, 'the activation e-mail');
  const link = mail.match(/http:\/\/\S+\/activate\/\S+/)[0];
  await page.goto(link);
  await axe('激活账号');
  const first = '黄河石林 远山 2026';
  await fill({ password: 'password123', confirm: 'password123' });
  await page.click('button:has-text("激活账号")');
  check((await page.title()).startsWith('错误：'), 'a common password is refused');
  await axe('激活账号（错误）');
  await fill({ password: first, confirm: first });
  await page.click('button:has-text("激活账号")');
  await page.waitForURL('**/portal');
  await axe('我的主页');

  // 3. Sign out, then sign in.
  await page.click('button:has-text("退出")');
  await page.waitForURL('**/login?notice=signed_out');
  await axe('登录');
  await fill({ username, password: 'wrong password 1' });
  await page.click('main button:has-text("登录")');
  check((await page.textContent('.error-summary')).includes('用户账号或密码不正确'), 'wrong password message');
  await axe('登录（错误）');
  await fill({ username, password: first });
  await page.click('main button:has-text("登录")');
  await page.waitForURL('**/portal');

  // 4. Change the password.
  await page.click('nav >> text=修改密码');
  await axe('修改密码');
  const second = '秋天的靖远 黄河 2026';
  await fill({ current: first, password: second, confirm: second });
  await page.click('main button:has-text("修改密码")');
  await page.waitForURL('**/account/password?done=1');
  check((await page.textContent('main')).includes('密码已修改'), 'password changed');

  // 5. Edit 单位信息 with a mistake, then correct it.
  await page.click('nav >> text=单位信息');
  await axe('单位信息');
  await page.click('text=修改单位信息');
  await axe('修改单位信息');
  await fill({ address: '靖远县乌兰镇新地址1号', postcode: '73060' });
  await page.click('main button:has-text("保存")');
  check((await page.title()).startsWith('错误：'), 'title starts with 错误：');
  check((await page.textContent('.error-summary')).includes('邮编应为6位数字'), 'summary names the postcode');
  check((await page.inputValue('#address')) === '靖远县乌兰镇新地址1号', 'input is kept');
  check((await page.getAttribute('#postcode', 'aria-invalid')) === 'true', 'field marked invalid');
  await axe('修改单位信息（错误）');
  await page.click('.error-summary a');
  check((await page.evaluate(() => document.activeElement.id)) === 'postcode', 'summary link focuses the field');
  await fill({ postcode: '730601' });
  await page.click('main button:has-text("保存")');
  await page.waitForURL('**/portal/unit?saved=1');
  const shown = await page.textContent('main');
  check(shown.includes('靖远县乌兰镇新地址1号') && shown.includes('730601'), 'corrected details saved');
  check(!shown.includes('13900000002'), 'mobile masked');

  // Large-text mode (适老化) passes too.
  await page.click('text=大字版');
  await page.waitForURL('**/portal/unit?saved=1');
  check((await page.getAttribute('html', 'class')) === 'large-text', 'large-text mode on');
  await axe('单位信息（大字版）');

  // 7. Apply for Chinese domain names: form, availability, answers check, submission.
  await page.click('nav >> text=网上名称管理');
  await axe('网上名称管理');
  await page.click('text=申请注册');
  await axe('域名注册申请表');
  await fill({ name2: '靖远浏览器测试', ipv4: '192.0.2.10' });
  await page.fill('#name3', '国务院');
  await page.click('button:has-text("下一步")');
  check((await page.title()).startsWith('错误：'), 'a reserved name is refused');
  check((await page.textContent('.error-summary')).includes('保留名称'), 'reserved name explained');
  await axe('域名注册申请表（错误）');
  await page.fill('#name3', '');
  await page.click('button:has-text("下一步")');
  await axe('核对域名注册申请');
  check((await page.textContent('main')).includes('每个域名每年 100.00 元'), 'poverty-tier price shown');
  await page.click('button:has-text("提交申请")');
  await axe('申请已提交');
  check(/^YM\d{14}$/.test((await page.textContent('.big-ref')).trim()), 'application reference');
  await page.click('text=查看申请');
  await axe('域名注册申请详情');

  // 6. Sign out.
  await page.click('button:has-text("退出")');
  await page.waitForURL('**/login?notice=signed_out');
  await page.goto(`${base}/portal/unit`);
  check(page.url().includes('/login?next='), 'signed out for real');
} catch (e) {
  failed += 1;
  failures.push(String(e && e.stack || e));
  console.error(e);
  await page.screenshot({ path: join(work, 'failure.png') }).catch(() => {});
  console.error(`screenshot: ${join(work, 'failure.png')}`);
} finally {
  await browser.close();
  server.kill('SIGTERM');
  sink.kill('SIGTERM');
}

console.log(`browser journey: ${visited.size} pages checked with axe-core`);
if (failures.length) console.log(failures.join('\n'));
console.log(`journey: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
