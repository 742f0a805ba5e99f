// Types for the part of the `radius` package (1.1.4 ships none) that decode.ts calls.
declare module 'radius' {
  /** What `decode_without_secret` returns; attribute values are strings, numbers, Dates or Buffers. */
  interface DecodedByRadius {
    code: string
    identifier: number
    length: number
    attributes: Record<string, unknown>
  }

  /** The package's module object. */
  const radius: {
    decode_without_secret(args: { packet: Buffer }): DecodedByRadius
  }
  export default radius
}
