// 3GPP vendor-specific RADIUS attributes, vendor 10415, 3GPP TS 29.061 §16.4.7.2 (Gi/SGi
// accounting from the GGSN/P-GW). Each is one sub-attribute (1-octet type, 1-octet length) inside a
// Vendor-Specific attribute (RFC 2865 §5.26); kinds follow FreeRADIUS's dictionary.3gpp.
//
// No sub-attribute carries the MSISDN: TS 29.061 puts it in the standard Calling-Station-Id (31).
// ("3GPP-MSISDN", code 701, is a Diameter AVP and cannot appear in RADIUS, whose VSA types stop at 255.)
import type { AttributeKind } from './dictionary.ts'

/** The 3GPP vendor id (IANA private enterprise number). */
export const VENDOR_3GPP = 10415

/** [sub-attribute type, name, kind] of the 3GPP attributes we decode. */
export const THREE_GPP_ATTRIBUTES: ReadonlyArray<readonly [number, string, AttributeKind]> = [
  [1, '3GPP-IMSI', 'string'],
  [2, '3GPP-Charging-ID', 'integer'],
  [3, '3GPP-PDP-Type', 'integer'],
  [4, '3GPP-Charging-Gateway-Address', 'ipaddr'],
  [5, '3GPP-GPRS-Negotiated-QoS-profile', 'string'],
  [6, '3GPP-SGSN-Address', 'ipaddr'],
  [7, '3GPP-GGSN-Address', 'ipaddr'],
  [8, '3GPP-IMSI-MCC-MNC', 'string'],
  [9, '3GPP-GGSN-MCC-MNC', 'string'],
  [10, '3GPP-NSAPI', 'string'],
  [11, '3GPP-Session-Stop-Indicator', 'byte'],
  [12, '3GPP-Selection-Mode', 'string'],
  [13, '3GPP-Charging-Characteristics', 'string'],
  [14, '3GPP-Charging-Gateway-IPv6-Address', 'ipv6addr'],
  [15, '3GPP-SGSN-IPv6-Address', 'ipv6addr'],
  [16, '3GPP-GGSN-IPv6-Address', 'ipv6addr'],
  [17, '3GPP-IPv6-DNS-Servers', 'octets'],
  [18, '3GPP-SGSN-MCC-MNC', 'string'],
  [19, '3GPP-Teardown-Indicator', 'byte'],
  [20, '3GPP-IMEISV', 'string'],
  [21, '3GPP-RAT-Type', 'byte'],
  [22, '3GPP-User-Location-Info', 'octets'],
  [23, '3GPP-MS-Time-Zone', 'octets'],
  [24, '3GPP-Camel-Charging-Info', 'octets'],
  [25, '3GPP-Packet-Filter', 'octets'],
  [26, '3GPP-Negotiated-DSCP', 'byte'],
  [27, '3GPP-Allocate-IP-Type', 'byte'],
]
