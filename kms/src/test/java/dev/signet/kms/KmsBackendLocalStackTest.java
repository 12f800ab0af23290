package dev.signet.kms;

import dev.signet.spi.SigningAlgorithm;
import org.junit.jupiter.api.Assumptions;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.localstack.LocalStackContainer;
import org.testcontainers.utility.DockerImageName;

import java.net.URI;
import java.util.EnumSet;
import java.util.Set;

/**
 * The same test bodies against LocalStack's KMS. Disabled where no Docker engine exists (the only skip the
 * KMS tests allow). The expected algorithms are the ones moto proves; PS256 and EdDSA against LocalStack are
 * unverified until this runs on a machine with Docker. The container is not stopped or frozen: those tests
 * abort here and run against moto and the fake.
 */
@Testcontainers(disabledWithoutDocker = true)
class KmsBackendLocalStackTest extends KmsBackendTestBase {

    @Container
    static final LocalStackContainer LOCALSTACK =
            new LocalStackContainer(DockerImageName.parse("localstack/localstack:4.14")).withServices("kms");

    @Override
    protected URI endpoint() {
        return LOCALSTACK.getEndpoint();
    }

    @Override
    protected String region() {
        return LOCALSTACK.getRegion();
    }

    @Override
    protected KmsAdmin newAdmin() {
        return sdkAdmin(() -> notHere("restarting"));
    }

    @Override
    protected void peerDown() {
        notHere("stopping");
    }

    @Override
    protected void peerUp() {
    }

    @Override
    protected void freeze() {
        notHere("freezing");
    }

    @Override
    protected void thaw() {
    }

    private static void notHere(String what) {
        Assumptions.abort(what + " the LocalStack container is not done here; moto and the fake cover it");
    }

    @Override
    protected Set<SigningAlgorithm> expectedAlgorithms() {
        return EnumSet.of(SigningAlgorithm.ES256, SigningAlgorithm.RS256);
    }
}
