package dev.signet.spi;

import org.bouncycastle.asn1.x509.Time;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Instant;
import java.util.Date;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class CertificateTimesTest {

    /** The hand-written validity times encode exactly as BouncyCastle's own, on both sides of the 2050 switch. */
    @Test
    void validityTimesEncodeAsBouncyCastlesOwn() throws IOException {
        for (String at : new String[]{"2026-11-30T20:00:01.999Z", "1950-01-01T00:00:00Z", "2049-12-31T23:59:59Z",
                "2050-01-01T00:00:00Z", "2036-02-29T09:05:07Z", "9999-12-31T23:59:59Z", "2001-01-09T01:02:03Z"}) {
            Instant instant = Instant.parse(at);
            assertArrayEquals(new Time(Date.from(instant)).getEncoded(), Certificates.time(instant).getEncoded(), at);
            assertEquals(instant.getEpochSecond(), Certificates.time(instant).getDate().toInstant().getEpochSecond(), at);
        }
    }
}
