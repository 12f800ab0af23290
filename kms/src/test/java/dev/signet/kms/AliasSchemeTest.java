package dev.signet.kms;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AliasSchemeTest {

    private static final String KID = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

    @Test
    void slugIsReadableAndEndsInAHashOfTheExactIssuer() {
        String slug = AliasScheme.slug("https://Auth.Example.com/tenants/t1");
        assertTrue(slug.matches("auth-example-com-tenants-t1-[0-9a-f]{12}"), slug);
    }

    @Test
    void issuersThatLookAlikeGetDifferentSlugs() {
        assertNotEquals(AliasScheme.slug("https://a.example/x"), AliasScheme.slug("https://a-example/x"));
        assertNotEquals(AliasScheme.slug("https://a.example"), AliasScheme.slug("https://A.example"));
    }

    @Test
    void aliasesUseOnlyTheKmsAliasCharsetAndStayShort() {
        String[] issuers = {"https://ünïcode.example/päth?q=1#f", "urn:x", "https://" + "x".repeat(500), "://"};
        for (String issuer : issuers) {
            String alias = new AliasScheme(issuer).alias(KID);
            assertTrue(alias.matches("alias/[a-zA-Z0-9/_-]+"), alias);
            assertTrue(alias.length() <= 256, "KMS alias names are at most 256 characters: " + alias.length());
        }
    }

    @Test
    void kidsAreReadBackOnlyFromThisIssuersAliases() {
        AliasScheme mine = new AliasScheme("https://issuer.example");
        AliasScheme other = new AliasScheme("https://other.example");
        assertEquals(Optional.of(KID), mine.kidOf(mine.alias(KID)));
        assertEquals(Optional.empty(), mine.kidOf(other.alias(KID)));
        assertEquals(Optional.empty(), mine.kidOf(mine.prefix() + "not-a-kid"));
        assertEquals(Optional.empty(), mine.kidOf(mine.prefix() + KID + "/extra"));
        assertEquals(Optional.empty(), mine.kidOf(null));
    }
}
