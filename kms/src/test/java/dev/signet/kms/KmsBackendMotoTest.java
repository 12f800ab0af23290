package dev.signet.kms;

import dev.signet.signer.SigningAlgorithm;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.util.EnumSet;
import java.util.Set;

/** The KMS backend against moto_server. */
class KmsBackendMotoTest extends KmsBackendTestBase {

    @RegisterExtension
    static final MotoServer MOTO = new MotoServer();

    @Override
    protected URI endpoint() {
        return MOTO.endpoint();
    }

    @Override
    protected Set<SigningAlgorithm> expectedAlgorithms() {
        return EnumSet.of(SigningAlgorithm.ES256, SigningAlgorithm.RS256);
    }
}
