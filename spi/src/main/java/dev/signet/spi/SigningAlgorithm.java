package dev.signet.spi;

import java.util.Arrays;
import java.util.stream.Collectors;

/** JWS algorithms Signet signs with. The names are the JOSE {@code alg} values. */
public enum SigningAlgorithm {
    ES256("EC"),
    EdDSA("OKP"),
    PS256("RSA"),
    RS256("RSA");

    private final String keyType;

    SigningAlgorithm(String keyType) {
        this.keyType = keyType;
    }

    /** The JOSE {@code alg} header value. */
    public String jwsName() {
        return name();
    }

    /** The JWK {@code kty} of keys for this algorithm. */
    public String keyType() {
        return keyType;
    }

    /**
     * Parses a JOSE algorithm name, case-sensitively as JOSE requires.
     *
     * @throws SignetException INVALID_ARGUMENT naming the supported algorithms
     */
    public static SigningAlgorithm parse(String name) {
        for (SigningAlgorithm a : values()) {
            if (a.name().equals(name)) {
                return a;
            }
        }
        throw new SignetException(SignetException.Code.INVALID_ARGUMENT,
                "unknown signing algorithm '" + name + "'; supported: "
                        + Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", ")));
    }
}
