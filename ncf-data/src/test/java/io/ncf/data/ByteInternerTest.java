package io.ncf.data;

import io.ncf.core.IdVocabulary;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class ByteInternerTest {

    @Test
    void agreesWithAStringMapForShortLongAndNonAsciiIds() {
        IdVocabulary vocab = new IdVocabulary();
        ByteInterner interner = new ByteInterner(vocab);
        Map<String, Integer> reference = new HashMap<>();
        SplittableRandom r = new SplittableRandom(5);
        String alphabet = "0123456789abcé😀,";
        for (int k = 0; k < 50_000; k++) {
            int len = 1 + r.nextInt(r.nextBoolean() ? 7 : 14);
            StringBuilder b = new StringBuilder();
            for (int j = 0; j < len; j++) b.appendCodePoint(alphabet.codePointAt(alphabet.offsetByCodePoints(0, r.nextInt(alphabet.codePointCount(0, alphabet.length())))));
            String id = b.toString(); // whole code points only: a cut surrogate pair would not survive UTF-8
            byte[] bytes = id.getBytes(StandardCharsets.UTF_8);
            // place the id at the very end of its buffer sometimes, to exercise the short-buffer packing
            byte[] buf = new byte[bytes.length + (r.nextBoolean() ? 0 : 9)];
            System.arraycopy(bytes, 0, buf, 0, bytes.length);
            int got = interner.intern(buf, 0, bytes.length);
            int want = reference.computeIfAbsent(id, s -> reference.size());
            assertEquals(want, got, id);
        }
        assertEquals(reference.size(), vocab.size());
        reference.forEach((id, idx) -> assertEquals(id, vocab.id(idx)));
    }

    @Test
    void keepsTheIndicesOfAPrefilledVocabulary() {
        IdVocabulary vocab = IdVocabulary.of(java.util.List.of("a", "a-rather-long-id", "b"));
        ByteInterner interner = new ByteInterner(vocab);
        byte[] b = "a-rather-long-id".getBytes(StandardCharsets.UTF_8);
        assertEquals(1, interner.intern(b, 0, b.length));
        assertEquals(2, interner.intern(new byte[]{'b'}, 0, 1));
        assertEquals(3, interner.intern(new byte[]{'c'}, 0, 1));
        assertEquals("c", vocab.id(3));
    }
}
