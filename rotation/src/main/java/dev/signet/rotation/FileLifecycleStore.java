package dev.signet.rotation;

import dev.signet.spi.SignetException;
import dev.signet.spi.StateFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The journal as a file {@value #JOURNAL} in a directory of the data dir, for replicas on one host.
 * It is replaced atomically ({@link StateFiles#write}), so a crash leaves the old or the new journal, never a
 * mix; processes and threads take turns through {@link StateFiles#lock} on {@value #LOCK_FILE}.
 */
public final class FileLifecycleStore implements LifecycleStore {

    static final String JOURNAL = "keyset";
    static final String LOCK_FILE = "keyset.lock";
    /** Written before the first journal, never removed by Signet: the issuer existed here. */
    static final String MARKER = "issuer-started";
    /** {@link KeyIntent}s outstanding ({@link KeyIntent#encodeAll}); absent when none ever were. */
    static final String INTENTS = "intents";
    /** Prefix of each replica's subkey journal. */
    static final String SUBKEYS = "subkeys.";
    static final String SUBKEYS_LOCK = "subkeys-lock.";

    private final Path journal;
    private final Path lockFile;
    private final Path marker;
    private final Path intents;
    private final Path dir;

    /**
     * @param directory one directory per issuer; created if missing
     * @throws SignetException UNAVAILABLE if it cannot be created
     */
    public FileLifecycleStore(Path directory) {
        try {
            StateFiles.createDirectories(directory);
        } catch (IOException e) {
            throw new SignetException(SignetException.Code.UNAVAILABLE, "cannot create " + directory, e);
        }
        Path dir = directory.toAbsolutePath().normalize();
        this.journal = dir.resolve(JOURNAL);
        this.lockFile = dir.resolve(LOCK_FILE);
        this.marker = dir.resolve(MARKER);
        this.intents = dir.resolve(INTENTS);
        this.dir = dir;
        frameIntents();
    }

    /**
     * Rewrites an intents file from before its end line in the framed form, once, when the store is opened; from
     * then on a file without the frame is damage.
     */
    private void frameIntents() {
        if (framedOrAbsent(readIntents())) {
            return;
        }
        try (Lock lock = lock()) {
            String text = readIntents();
            if (!framedOrAbsent(text)) {
                java.util.List<KeyIntent> old;
                try {
                    old = KeyIntent.decodeUnframed(text);
                } catch (IllegalArgumentException e) {
                    throw damaged(e);
                }
                writeIntents(old);
            }
        }
    }

    /** {@value #SUBKEYS}{@code <replica id>} beside the journal, one file per replica. */
    @Override
    public java.util.Map<String, SubkeySet> loadSubkeys() {
        java.util.Map<String, SubkeySet> all = new java.util.TreeMap<>();
        try (var files = Files.list(dir)) {
            for (Path f : files.filter(f -> f.getFileName().toString().startsWith(SUBKEYS)).toList()) {
                String replica = f.getFileName().toString().substring(SUBKEYS.length());
                readSubkeys(f).ifPresent(set -> all.put(replica, set));
            }
        } catch (IOException e) {
            throw new SignetException(SignetException.Code.UNAVAILABLE, "cannot list " + dir, e);
        }
        return all;
    }

    private java.util.Optional<SubkeySet> readSubkeys(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return java.util.Optional.empty();
        } catch (IOException e) {
            throw new SignetException(SignetException.Code.UNAVAILABLE, "cannot read " + file, e);
        }
        try {
            return java.util.Optional.of(SubkeySet.decode(text));
        } catch (RuntimeException e) {
            throw new SignetException(SignetException.Code.INTERNAL, "damaged subkey journal " + file + ": "
                    + e.getMessage() + ". Tokens of the subkeys it listed may stop verifying; restore it from a"
                    + " backup, or remove it if those subkeys' tokens have all expired (ops/RUNBOOK.md, \"The key"
                    + " journal is missing or damaged\")", e);
        }
    }

    @Override
    public void compareAndSetSubkeys(String replica, long expectedVersion, SubkeySet next) {
        new ReplicaId(replica); // a file name: the id's alphabet keeps it inside this directory
        if (next.version() != expectedVersion + 1) {
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT,
                    "next subkey version " + next.version() + " does not follow " + expectedVersion);
        }
        Path file = dir.resolve(SUBKEYS + replica);
        // Not the journal's lock (the writer may hold it through a slow backend call): this replica's own.
        try (StateFiles.Lock ignored = StateFiles.lock(dir.resolve(SUBKEYS_LOCK + replica), StateFiles.LOCK_TIMEOUT)) {
            long current = readSubkeys(file).map(SubkeySet::version).orElse(0L);
            if (current != expectedVersion) {
                throw new SignetException(SignetException.Code.FAILED_PRECONDITION, "subkey journal " + file
                        + " is at version " + current + ", not " + expectedVersion
                        + " (another process runs as replica " + replica + "?)");
            }
            StateFiles.writeString(file, next.encode());
        } catch (IOException e) {
            throw new SignetException(SignetException.Code.UNAVAILABLE, "cannot write " + file, e);
        }
    }

    @Override
    public boolean deleteSubkeys(String replica, long version) {
        new ReplicaId(replica);
        Path file = dir.resolve(SUBKEYS + replica);
        try (StateFiles.Lock ignored = StateFiles.lock(dir.resolve(SUBKEYS_LOCK + replica), StateFiles.LOCK_TIMEOUT)) {
            if (readSubkeys(file).map(SubkeySet::version).orElse(-1L) != version) {
                return false;
            }
            Files.delete(file);
            return true;
        } catch (IOException e) {
            throw new SignetException(SignetException.Code.UNAVAILABLE, "cannot delete " + file, e);
        }
    }

    @Override
    public boolean issuerStarted() {
        return Files.exists(marker) || Files.exists(journal);
    }

    @Override
    public KeySet load() {
        String text;
        try {
            text = Files.readString(journal, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return KeySet.empty();
        } catch (IOException e) {
            throw new SignetException(SignetException.Code.UNAVAILABLE, "cannot read " + journal, e);
        }
        try {
            return KeySetCodec.decode(text);
        } catch (RuntimeException e) {
            throw new SignetException(SignetException.Code.INTERNAL, "damaged key journal " + journal + ": "
                    + e.getMessage() + ". Signet will not start over on its own: restore the journal from a backup"
                    + " (ops/RUNBOOK.md, \"The key journal is missing or damaged\")", e);
        }
    }

    @Override
    public void compareAndSet(long expectedVersion, KeySet next) {
        if (next.version() != expectedVersion + 1) {
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT,
                    "next version " + next.version() + " does not follow " + expectedVersion);
        }
        Lock lock = lock();
        try {
            long current = load().version();
            if (current != expectedVersion) {
                throw new SignetException(SignetException.Code.FAILED_PRECONDITION,
                        "key journal is at version " + current + ", not " + expectedVersion);
            }
            if (!Files.exists(marker)) {
                writeMarker();
            }
            write(KeySetCodec.encode(next));
        } finally {
            lock.close();
        }
    }

    private void writeMarker() {
        try {
            StateFiles.writeString(marker, "An issuer's key journal (" + JOURNAL + ") was started in this"
                    + " directory. If the journal is missing, restore it; to start a new issuer on purpose, run"
                    + " signet serve --init-issuer.\n");
        } catch (IOException e) {
            throw new SignetException(SignetException.Code.UNAVAILABLE, "cannot write " + marker, e);
        }
    }

    private void write(String text) {
        try {
            StateFiles.writeString(journal, text);
        } catch (IOException e) {
            throw new SignetException(SignetException.Code.UNAVAILABLE, "cannot write " + journal, e);
        }
    }

    @Override
    public void recordIntent(KeyIntent intent) {
        try (Lock lock = lock()) {
            java.util.List<KeyIntent> now = new java.util.ArrayList<>(intents());
            now.add(intent);
            writeIntents(now);
        }
    }

    @Override
    public java.util.List<KeyIntent> intents() {
        String text = readIntents();
        if (text == null) {
            return java.util.List.of();
        }
        try {
            return KeyIntent.decodeAll(text);
        } catch (IllegalArgumentException e) {
            throw damaged(e);
        }
    }

    private static boolean framedOrAbsent(String text) {
        return text == null || text.startsWith(KeyIntent.FILE_HEADER + "\n");
    }

    /** The file's text, or null when there is none. */
    private String readIntents() {
        try {
            return Files.readString(intents, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new SignetException(SignetException.Code.UNAVAILABLE, "cannot read " + intents, e);
        }
    }

    private SignetException damaged(IllegalArgumentException e) {
        // A backend call it named may have happened: starting over with none outstanding could leave an orphan key.
        return new SignetException(SignetException.Code.INTERNAL, "damaged " + intents + ": " + e.getMessage()
                + ". Compare the backend's keys with the journal (signet keys list), destroy any key the journal"
                + " does not name, then delete this file (ops/RUNBOOK.md, \"The intents file is damaged\")", e);
    }

    @Override
    public void clearIntent(String id) {
        try (Lock lock = lock()) {
            java.util.List<KeyIntent> now = intents();
            java.util.List<KeyIntent> kept = now.stream().filter(i -> !i.id().equals(id)).toList();
            if (kept.size() != now.size()) {
                writeIntents(kept);
            }
        }
    }

    private void writeIntents(java.util.List<KeyIntent> all) {
        try {
            StateFiles.writeString(intents, KeyIntent.encodeAll(all));
        } catch (IOException e) {
            throw new SignetException(SignetException.Code.UNAVAILABLE, "cannot write " + intents, e);
        }
    }

    @Override
    public Lock lock() {
        return StateFiles.lock(lockFile, StateFiles.LOCK_TIMEOUT)::close;
    }

    @Override
    public String toString() {
        return "FileLifecycleStore[" + journal + "]";
    }
}
