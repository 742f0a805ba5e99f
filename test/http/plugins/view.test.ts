// The view engine remembers where each template name leads, and renders exactly what plain Eta
// renders over the same folder; a name outside the templates folder is refused every time.
import { Eta } from 'eta'
import { describe, expect, it } from 'vitest'
import { createViewEngine, TEMPLATES_DIR } from '../../../src/http/plugins/view.ts'

const data = { status: 503, message: 'Something <went> wrong', requestId: 'r-1' }

describe('view engine', () => {
  it('renders a page with its layout as plain Eta does, again and again', () => {
    const plain = new Eta({ views: TEMPLATES_DIR, cache: true, autoEscape: true })
    const eta = createViewEngine()
    const expected = plain.render('error.eta', data)
    expect(expected).toContain('<!doctype html>')
    expect(expected).toContain('<h1>503</h1>')
    expect(expected).toContain('Something &lt;went&gt; wrong')
    for (let i = 0; i < 3; i++) expect(eta.render('error.eta', data)).toBe(expected)
    expect(eta.render('error', data)).toBe(expected)
  })

  it('refuses a template outside the templates folder, every time', () => {
    const eta = createViewEngine()
    for (let i = 0; i < 2; i++) expect(() => eta.render('../package.json', {})).toThrow(/not in the views directory/)
  })
})
