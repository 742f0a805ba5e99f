// The connectivity checks operating systems make after attaching to a network, and the exact
// answer each expects when the network is open. While a line is suspended the probe gets the
// captive answer (a redirect to the portal), which opens the phone's sign-in sheet; once the line
// is restored it gets the success answer and the sheet closes by itself. Data, easy to extend.

/** One probe URL and its success answer. */
export interface CaptiveProbe {
  readonly vendor: string
  readonly host: string
  readonly path: string
  readonly success: { readonly status: number; readonly contentType?: string; readonly body: string }
}

const NO_CONTENT = { status: 204, body: '' } as const
const APPLE = { status: 200, contentType: 'text/html', body: '<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>\n' } as const
const generate204 = (vendor: string, host: string, path = '/generate_204'): CaptiveProbe => ({ vendor, host, path, success: NO_CONTENT })

/** Every probe we answer, by host and path. */
export const CAPTIVE_PROBES: readonly CaptiveProbe[] = [
  generate204('Android', 'connectivitycheck.gstatic.com'),
  generate204('Android', 'connectivitycheck.android.com'),
  generate204('Android', 'clients3.google.com'),
  generate204('Android', 'www.gstatic.com'),
  generate204('Android', 'www.google.com', '/gen_204'),
  generate204('Android (China)', 'www.google.cn'),
  generate204('Android (China)', 'g.cn'),
  { vendor: 'Apple', host: 'captive.apple.com', path: '/hotspot-detect.html', success: APPLE },
  { vendor: 'Apple', host: 'www.apple.com', path: '/library/test/success.html', success: APPLE },
  { vendor: 'Windows', host: 'www.msftconnecttest.com', path: '/connecttest.txt', success: { status: 200, contentType: 'text/plain', body: 'Microsoft Connect Test' } },
  { vendor: 'Windows', host: 'www.msftncsi.com', path: '/ncsi.txt', success: { status: 200, contentType: 'text/plain', body: 'Microsoft NCSI' } },
  { vendor: 'Firefox', host: 'detectportal.firefox.com', path: '/success.txt', success: { status: 200, contentType: 'text/plain', body: 'success\n' } },
  generate204('Xiaomi MIUI/HyperOS', 'connect.rom.miui.com'),
  generate204('Huawei/Honor', 'connectivitycheck.platform.hicloud.com'),
  generate204('vivo', 'wifi.vivo.com.cn'),
  generate204('OPPO/Qualcomm', 'www.qualcomm.cn'),
]

const byKey = new Map(CAPTIVE_PROBES.map((p) => [`${p.host}${p.path}`, p]))
const probeHosts = new Set(CAPTIVE_PROBES.map((p) => p.host))

/** Whether `host` (no port, lower case) has a probe on some path. */
export function isProbeHost(host: string): boolean {
  return probeHosts.has(host)
}

/** The probe for a request to `host` (no port, lower case) and `path` (no query), if it is one. */
export function findProbe(host: string, path: string): CaptiveProbe | undefined {
  return byKey.get(`${host}${path}`)
}
