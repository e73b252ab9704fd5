using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using Engram.Core;
using Xunit;
using static Engram.Core.Tests.TestUtil;

namespace Engram.Core.Tests
{
    public class NamesTests
    {
        private static readonly Regex StemChars = new Regex("^[a-z0-9._^~-]+$");

        public static TheoryData<string> RoundTripKeys => new TheoryData<string>
        {
            "Config", "config", "../x", "a/b", "a\\b", "CON", "con", "nul.txt", "x.", "x ", " lead", ".hidden",
            "日本語", "😀", "a_b", "^", "~x", "..", ".", "COM1", "lpt9.log", "a..b", "A.B.C", "null", "-", "a b\tc".Replace("\t", " "),
            "x:y", "*?<>|\"", "e\u0301", "\u00a0", "\u2028", "\ufeffbom", "_2f", "^c", "prn", "aux.x.y",
        };

        [Fact]
        public void KeyOrder_IsCodePointOrder_TheOrderOfTheUtf8Bytes()
        {
            var keys = new[] { "b", "a\U0001F600", "a\uE000", "a\uFFFD", "a", "A", "a\u00e9", "a\U00010000", "", "ab", "a\uD7FF", RoundTripKeys.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            var byUtf8 = keys.OrderBy(k => System.Text.Encoding.UTF8.GetBytes(k), Comparer<byte[]>.Create((x, y) => ((ReadOnlySpan<byte>)x).SequenceCompareTo(y))).ToArray();
            Assert.Equal(byUtf8, keys.OrderBy(k => k, Names.KeyOrder).ToArray());
            // Where ordinal UTF-16 order differs: a character above U+FFFF (a surrogate pair) sorts after U+E000-U+FFFF.
            Assert.True(string.CompareOrdinal("a\U0001F600", "a\uE000") < 0);
            Assert.True(Names.KeyOrder.Compare("a\U0001F600", "a\uE000") > 0);
            Assert.Equal(0, Names.KeyOrder.Compare("k", "k"));
            Assert.True(Names.KeyOrder.Compare("k", "k1") < 0);
        }

        [Theory]
        [MemberData(nameof(RoundTripKeys))]
        public void EncodeKey_IsReversible_AndFileSystemSafe(string key)
        {
            var stem = Names.EncodeKey(key);
            Assert.Matches(StemChars, stem);
            Assert.Equal(key, Names.DecodeKey(stem));
            Assert.True(stem.Length <= Names.MaxEncodedLength + 1);
            Assert.NotEqual(".", stem);
            Assert.NotEqual("..", stem);
            Assert.False(stem.StartsWith('.'), stem);
            Assert.False(stem.EndsWith('.'), stem);
            // Never a Windows device name, with or without extension.
            var first = stem.Split('.')[0];
            Assert.DoesNotMatch(new Regex("^(con|prn|aux|nul|com[0-9]|lpt[0-9]|conin\\$|conout\\$)$"), first);
        }

        [Fact]
        public void Config_And_config_HaveStemsThatDifferBeyondCase()
        {
            var a = Names.EncodeKey("Config");
            var b = Names.EncodeKey("config");
            Assert.NotEqual(a, b);
            Assert.NotEqual(a.ToLowerInvariant(), b.ToLowerInvariant());
            Assert.NotEqual(a.ToUpperInvariant(), b.ToUpperInvariant());
            Assert.Equal("^config", a);
            Assert.Equal("config", b);
        }

        [Fact]
        public void CON_And_con_AreDistinct_AndNotDeviceNames()
        {
            var upper = Names.EncodeKey("CON");
            var lower = Names.EncodeKey("con");
            Assert.NotEqual(upper.ToLowerInvariant(), lower.ToLowerInvariant());
            Assert.NotEqual("con", lower);
            Assert.Equal("con", Names.DecodeKey(lower));
            Assert.Equal("CON", Names.DecodeKey(upper));
            Assert.NotEqual("nul", Names.EncodeKey("nul.txt").Split('.')[0]);
        }

        [Fact]
        public void PathCharacters_AreEscaped()
        {
            Assert.DoesNotContain("/", Names.EncodeKey("../x"));
            Assert.DoesNotContain("/", Names.EncodeKey("a/b"));
            Assert.DoesNotContain("\\", Names.EncodeKey("a\\b"));
            Assert.False(Names.EncodeKey("../x").StartsWith('.'));
            Assert.Equal("_2e_2e", Names.EncodeKey(".."));
            Assert.Equal("a_5fb", Names.EncodeKey("a_b"));
        }

        [Fact]
        public void EveryAsciiCharacterKey_RoundTrips()
        {
            for (char c = ' '; c < (char)127; c++)
            {
                foreach (var key in new[] { c.ToString(), "a" + c, c + "a", "a" + c + "b" })
                {
                    var stem = Names.EncodeKey(key);
                    Assert.Matches(StemChars, stem);
                    Assert.Equal(key, Names.DecodeKey(stem));
                }
            }
        }

        [Fact]
        public void LongKey_GetsHashedStem()
        {
            var key = new string('K', 512);
            var stem = Names.EncodeKey(key);
            Assert.StartsWith("~", stem);
            Assert.True(stem.Length <= 161, $"stem is {stem.Length} chars");
            Assert.Matches(StemChars, stem);
            Assert.Null(Names.DecodeKey(stem));
            // Deterministic, and different keys get different stems.
            Assert.Equal(stem, Names.EncodeKey(key));
            Assert.NotEqual(stem, Names.EncodeKey(new string('K', 511) + "L"));
            // Case matters for hashed stems too.
            Assert.NotEqual(stem.ToLowerInvariant(), Names.EncodeKey(new string('k', 512)).ToLowerInvariant());
        }

        [Fact]
        public void KeyJustUnderTheEncodedLimit_IsNotHashed_AndOneMoreIs()
        {
            var fits = new string('a', Names.MaxEncodedLength);
            Assert.Equal(fits, Names.EncodeKey(fits));
            Assert.Equal(fits, Names.DecodeKey(fits));
            var over = new string('a', Names.MaxEncodedLength + 1);
            Assert.StartsWith("~", Names.EncodeKey(over));
            // 54 '/' encode to 162 chars: hashed even though the key is short.
            Assert.StartsWith("~", Names.EncodeKey(new string('/', 54)));
        }

        [Fact]
        public void DecodeKey_RejectsNamesEngramDidNotWrite()
        {
            Assert.Null(Names.DecodeKey("Config"));     // upper case is never in a stem
            Assert.Null(Names.DecodeKey("con"));        // device names are always escaped
            Assert.Null(Names.DecodeKey("_2F"));        // upper-case hex
            Assert.Null(Names.DecodeKey("_2"));         // truncated escape
            Assert.Null(Names.DecodeKey("_61"));        // 'a' never needs escaping
            Assert.Null(Names.DecodeKey(".x"));         // leading dot is always escaped
            Assert.Null(Names.DecodeKey("_ff"));        // invalid UTF-8
            Assert.Null(Names.DecodeKey("^"));
            Assert.Null(Names.DecodeKey(""));
        }

        public static TheoryData<string?> InvalidKeys => new TheoryData<string?>
        {
            null, "", new string('k', 513), "a\nb", "\0", "a\0", "tab\there", "\u0085", "a\rb", "\u007f",
        };

        [Theory]
        [MemberData(nameof(InvalidKeys))]
        public void InvalidKeys_AreRefused(string? key)
        {
            Throws(EngramErrorIds.InvalidKey, () => Names.ValidateKey(key));
            Throws(EngramErrorIds.InvalidKey, () => Names.EncodeKey(key!));
        }

        [Fact]
        public void UnpairedSurrogates_AreRefused()
        {
            // Built here, not as theory data: the test runner's serializer would replace them with U+FFFD.
            foreach (var key in new[] { "x\ud800", "\udc00y", "\ud800\ud800", "\ud83d", "a\ude00b" })
            {
                Throws(EngramErrorIds.InvalidKey, () => Names.ValidateKey(key));
                Throws(EngramErrorIds.InvalidKey, () => Names.EncodeKey(key));
            }
            Names.ValidateKey("\ud83d\ude00"); // a proper pair is fine
        }

        [Fact]
        public void MaxLengthKey_IsValid()
        {
            Names.ValidateKey(new string('k', 512));
            Names.ValidateKey(string.Concat(System.Linq.Enumerable.Repeat("😀", 256))); // 512 UTF-16 units
        }

        [Theory]
        [InlineData("Shared", "shared")]
        [InlineData("SHARED", "shared")]
        [InlineData("project-x", "project-x")]
        [InlineData("a.b_c", "a.b_c")]
        [InlineData("9lives", "9lives")]
        public void Namespaces_Normalize(string input, string expected) =>
            Assert.Equal(expected, Names.NormalizeNamespace(input));

        [Theory]
        [InlineData("_provenance")]
        [InlineData("_x")]
        [InlineData("_")]
        [InlineData("_tmp")]
        [InlineData("_lock")]
        public void ReservedNamespaces_AreRefused(string ns) =>
            Throws(EngramErrorIds.ReservedNamespace, () => Names.NormalizeNamespace(ns));

        public static TheoryData<string?> InvalidNamespaces => new TheoryData<string?>
        {
            null, "", "a/b", "a\\b", "..", ".", "con", "CON", "nul.x", "-x", ".x", "x.", "a b", "日本", new string('n', 65), "a:b",
        };

        [Theory]
        [MemberData(nameof(InvalidNamespaces))]
        public void InvalidNamespaces_AreRefused(string? ns)
        {
            Throws(EngramErrorIds.InvalidNamespace, () => Names.NormalizeNamespace(ns));
            Assert.False(Names.IsValidNamespace(ns));
        }

        [Fact]
        public void NamespaceOf64Chars_IsValid() =>
            Assert.Equal(new string('n', 64), Names.NormalizeNamespace(new string('N', 64)));
    }
}
