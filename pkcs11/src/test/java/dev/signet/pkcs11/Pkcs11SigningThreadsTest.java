package dev.signet.pkcs11;

import dev.signet.spi.JcaSigningKey;
import dev.signet.spi.SignetException;
import dev.signet.spi.SigningAlgorithm;
import dev.signet.spi.SigningKey;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.Signature;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code backend.signing-threads}: virtual request threads hand their PKCS#11 calls to platform threads. */
class Pkcs11SigningThreadsTest {

    private static SoftHsm.Token token;

    @BeforeAll
    static void token() throws Exception {
        SoftHsm.require();
        token = SoftHsm.initToken("threads");
    }

    @Test
    void manyVirtualThreadsSignThroughTheSigningThreads() throws Exception {
        try (Pkcs11KeyBackend backend = SoftHsm.open(token, 2); ExecutorService requests = Executors.newVirtualThreadPerTaskExecutor()) {
            SigningKey key = backend.generate(SigningAlgorithm.ES256);
            Set<String> signingThreads = ConcurrentHashMap.newKeySet();
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                byte[] input = ("token-" + i).getBytes(StandardCharsets.US_ASCII);
                results.add(requests.submit(() -> {
                    byte[] sig = key.sign(input);
                    Signature v = Signature.getInstance(JcaSigningKey.jcaName(SigningAlgorithm.ES256));
                    v.initVerify(key.publicKey());
                    v.update(input);
                    return v.verify(sig);
                }));
            }
            for (Future<Boolean> r : results) {
                assertTrue(r.get(), "every signature verifies with the kid's public key");
            }
            Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                    .filter(n -> n.startsWith("pkcs11-sign[" + token.label() + "]-")).forEach(signingThreads::add);
            assertEquals(2, signingThreads.size(), "two platform signing threads, whatever the request count: " + signingThreads);
        }
    }

    @Test
    void aNegativeThreadCountIsAConfigurationError() {
        SignetException e = assertThrows(SignetException.class, () -> SoftHsm.open(token, -1));
        assertEquals(SignetException.Code.INVALID_ARGUMENT, e.code());
    }

}
