package dev.signet.pkcs11;

import dev.signet.spi.KeyBackend;
import dev.signet.spi.testing.MutableClock;

import java.time.Instant;
import java.util.List;

/** The contract on {@link FakeTokenClient}: what SoftHSM2 checks in {@link Pkcs11BackendTest}, without it. */
class Pkcs11FakeBackendTest extends Pkcs11Contract {

    private static final String LABEL = "fake";
    private static final String PIN = "1234-fake-pin";

    private final FakeTokenClient fake = new FakeTokenClient().withToken(LABEL, PIN);
    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-30T08:00:00Z"));

    @Override
    protected KeyBackend open(String issuer) {
        return new Pkcs11KeyBackend(fake, new ManualScheduler(clock), LABEL, PIN.toCharArray(), issuer, clock,
                Pkcs11KeyBackend.Options.defaults());
    }

    @Override
    protected TokenClient.Session session() {
        return fake.login(fake.tokens().getFirst(), PIN.toCharArray());
    }

    @Override
    protected List<String> secrets() {
        return List.of(PIN);
    }
}
