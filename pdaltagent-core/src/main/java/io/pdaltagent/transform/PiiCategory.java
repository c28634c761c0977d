package io.pdaltagent.transform;

import java.util.Locale;

/**
 * The kinds of personal data the {@link PiiScrubber} finds, each with its configuration name (in
 * {@code PDAGENTD_SCRUB_PII}) and the placeholder that replaces it (PDaltagent's where it had one).
 * The declaration order is the order of the scrub: a kind that can contain another's pattern goes
 * first (an e-mail address holds digits; an IPv4-mapped IPv6 address holds an IPv4 one; an IBAN or
 * a card number holds runs that look like phone numbers).
 */
public enum PiiCategory {
    EMAIL("email", "{{EMAIL_ADDRESS}}"),
    IPV6("ipv6", "{{IPV6_ADDRESS}}"),
    IP("ip", "{{IP_ADDRESS}}"),
    IBAN("iban", "{{IBAN}}"),
    CREDIT_CARD("credit_card", "{{CREDIT_CARD}}"),
    SSN("ssn", "{{SSN_NUMBER}}"),
    PHONE("phone", "{{PHONE}}"),
    PO_BOX("po_box", "{{PO_BOX}}"),
    STREET_ADDRESS("street_address", "{{STREET_ADDRESS}}");

    public final String configName;
    public final String placeholder;

    PiiCategory(String configName, String placeholder) {
        this.configName = configName;
        this.placeholder = placeholder;
    }

    /** The category of a configuration name, or null. */
    public static PiiCategory ofConfigName(String name) {
        String n = name.strip().toLowerCase(Locale.ROOT);
        for (PiiCategory c : values()) {
            if (c.configName.equals(n)) {
                return c;
            }
        }
        return null;
    }
}
