using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Engram.Core;
using Engram.Core.Values;
using Xunit;
using static Engram.Core.Tests.TestUtil;

namespace Engram.Core.Tests
{
    public class ValueCodecTests
    {
        /// <summary>Writes and reads back; asserts the type is the same and the canonical hash survives.</summary>
        private static object? RoundTrip(object? value)
        {
            var yaml = ValueCodec.ToYaml(value);
            var back = ValueCodec.FromYaml(yaml);
            if (value == null) Assert.Null(back);
            else
            {
                Assert.NotNull(back);
                Assert.Equal(value.GetType(), back!.GetType());
            }
            Assert.Equal(ValueCodec.ContentHash(value), ValueCodec.ContentHash(back));
            return back;
        }

        private static void AssertRoundTrips(object? value)
        {
            var back = RoundTrip(value);
            Assert.Equal(value, back);
        }

        [Fact]
        public void Null_RoundTrips() => AssertRoundTrips(null);

        public static TheoryData<string> Strings => new TheoryData<string>
        {
            "", "42", "-7", "+3", "0x1F", "007", "true", "false", "True", "FALSE", "yes", "no", "on", "off", "null", "Null", "NULL", "~",
            "1.5", "1e5", ".5", "1.", "-.inf", ".inf", ".nan", ".NaN", "+.inf", "2026-01-01", "12:30", "3000000000",
            "hello", "hello world", " lead", "trail ", "  both  ", " ", "\t", ": x", "x: y", "#x", "x #y", "- x", "-", "?", "? x",
            "[a]", "{a: b}", "!tag", "&anchor", "*alias", "|", ">", "%x", "@x", "`x", "'quoted'", "\"dq\"", "a'b\"c",
            "line1\nline2", "line1\nline2\n", "line1\nline2\n\n", "\nleading newline", "\n", "\n\n", "a\n", "trailing \nspaces ",
            "  indented\nsecond", "a\r\nb", "a\r\nb\r\n", "a\rb", "tab\tinside", "multi\n  indented\n\tlines\n", "#~ 1 2 3 revised 0 abc",
            "x\n#~ 1 2 3 revised 0 abc\n", "---", "...", "--- x", "a\n---\nb", "a\n...\nb", "\u0085nel", "ls\u2028ps\u2029",
            "\ufeffbom", "bell\u0007", "nul\0char", "日本語", "😀 emoji", "e\u0301", "\u00a0nbsp\u00a0",
            "a\t", "\ta", " \t", "\ta\nb", "a\n\tb", "a\n\t", "\r", "\r\n", "a\u0085", "\u0085", "\u2028", "\u2029", "a\u2028b",
            "a\u2028b\nc", "\n\n\n", "\n a", " \na", "a *", "a *b", "a\t*b", "*x", "\u3000", "x\u3000", "\v", "\f",
            new string('x', 5000), string.Join(" ", Enumerable.Repeat("word", 400)), string.Join("  ", Enumerable.Repeat("w", 300)),
            string.Join("\n", Enumerable.Repeat(new string('y', 200) + " " + new string('z', 200), 5)),
        };

        [Theory]
        [MemberData(nameof(Strings))]
        public void String_StaysStringExactly(string s)
        {
            var back = RoundTrip(s);
            Assert.IsType<string>(back);
            Assert.Equal(s, (string)back!);
        }

        [Fact]
        public void RandomTrickyStrings_RoundTrip()
        {
            var alphabet = new[]
            {
                "a", "Z", "0", "1", ".", " ", "  ", "\t", "\n", "\r", "\r\n", ":", ": ", "#", " #", "-", "- ", "'", "\"", "\\", "!", "&", "*",
                "|", ">", "?", "%", "@", "`", "{", "}", "[", "]", ",", "~", "\u0085", "\u2028", "\u2029", "\u00a0", "\ufeff", "日", "😀",
                "\u0001", "\u007f", "null", "true", "---", "...", "#~ ",
            };
            var rng = new Random(12345);
            for (int n = 0; n < 3000; n++)
            {
                var sb = new System.Text.StringBuilder();
                int parts = rng.Next(1, 9);
                for (int i = 0; i < parts; i++) sb.Append(alphabet[rng.Next(alphabet.Length)]);
                var s = sb.ToString();
                var yaml = ValueCodec.ToYaml(s);
                object? back;
                try { back = ValueCodec.FromYaml(yaml); }
                catch (Exception ex) { throw new Xunit.Sdk.XunitException($"{Escape(s)} -> {Escape(yaml)} does not parse: {ex.Message}"); }
                Assert.True(back is string b && b == s, $"{Escape(s)} -> {Escape(yaml)} -> {(back is string bs ? Escape(bs) : back?.GetType().Name ?? "null")}");
                // Also as a map key and inside a sequence.
                var map = Assert.IsType<EngramMap>(ValueCodec.FromYaml(ValueCodec.ToYaml(new EngramMap { { s, new object?[] { s } } })));
                Assert.Equal(s, map.Keys.Single());
                Assert.Equal(s, Assert.IsType<object?[]>(map[s])[0]);
            }
        }

        private static string Escape(string s) => System.Text.Json.JsonSerializer.Serialize(s);

        [Fact]
        public void String_42_IsNotAnInt_And_True_IsNotABool()
        {
            Assert.Equal("42", Assert.IsType<string>(ValueCodec.FromYaml(ValueCodec.ToYaml("42"))));
            Assert.Equal("true", Assert.IsType<string>(ValueCodec.FromYaml(ValueCodec.ToYaml("true"))));
            Assert.Equal("null", Assert.IsType<string>(ValueCodec.FromYaml(ValueCodec.ToYaml("null"))));
            Assert.Equal("~", Assert.IsType<string>(ValueCodec.FromYaml(ValueCodec.ToYaml("~"))));
            Assert.Equal("", Assert.IsType<string>(ValueCodec.FromYaml(ValueCodec.ToYaml(""))));
        }

        [Theory]
        [InlineData(0)]
        [InlineData(1)]
        [InlineData(-1)]
        [InlineData(int.MaxValue)]
        [InlineData(int.MinValue)]
        public void Int_RoundTrips(int i) => AssertRoundTrips(i);

        [Theory]
        [InlineData(0L)]
        [InlineData(5L)]
        [InlineData(-5L)]
        [InlineData(3000000000L)]
        [InlineData(-3000000000L)]
        [InlineData(long.MaxValue)]
        [InlineData(long.MinValue)]
        [InlineData((long)int.MaxValue)]
        [InlineData((long)int.MinValue)]
        public void Long_RoundTrips(long l) => AssertRoundTrips(l);

        [Theory]
        [InlineData(1.0)]
        [InlineData(1.5)]
        [InlineData(0.1)]
        [InlineData(-2.5)]
        [InlineData(1e300)]
        [InlineData(-1e-300)]
        [InlineData(double.MaxValue)]
        [InlineData(double.Epsilon)]
        [InlineData(double.PositiveInfinity)]
        [InlineData(double.NegativeInfinity)]
        [InlineData(double.NaN)]
        [InlineData(123456789012345680.0)]
        public void Double_RoundTrips(double d)
        {
            var back = Assert.IsType<double>(RoundTrip(d));
            Assert.Equal(BitConverter.DoubleToInt64Bits(d), BitConverter.DoubleToInt64Bits(back));
        }

        [Fact]
        public void NegativeZero_DoesNotCrash_AndStaysADouble()
        {
            var back = Assert.IsType<double>(RoundTrip(-0.0));
            Assert.Equal(0.0, back);
            Assert.True(double.IsNegative(back), "the sign of -0.0 was lost");
        }

        [Theory]
        [InlineData(1.5f)]
        [InlineData(0.1f)]
        [InlineData(float.MaxValue)]
        [InlineData(float.MinValue)]
        [InlineData(float.Epsilon)]
        [InlineData(float.NaN)]
        [InlineData(float.PositiveInfinity)]
        [InlineData(float.NegativeInfinity)]
        public void Float_RoundTrips(float f)
        {
            var back = Assert.IsType<float>(RoundTrip(f));
            Assert.Equal(BitConverter.SingleToInt32Bits(f), BitConverter.SingleToInt32Bits(back));
        }

        [Fact]
        public void Decimal_RoundTrips_AndKeepsItsScale()
        {
            foreach (var m in new[] { 1.10m, 1.1m, 0m, -0.000m, decimal.MaxValue, decimal.MinValue, 79228162514264337593543950335m, 0.0000000000000000000000000001m })
            {
                var back = Assert.IsType<decimal>(RoundTrip(m));
                Assert.Equal(m, back);
                Assert.Equal(m.ToString(System.Globalization.CultureInfo.InvariantCulture), back.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            Assert.Equal("1.10", ((decimal)ValueCodec.FromYaml(ValueCodec.ToYaml(1.10m))!).ToString(System.Globalization.CultureInfo.InvariantCulture));
            // Scale is part of the value's identity: 1.1 and 1.10 hash differently.
            Assert.NotEqual(ValueCodec.ContentHash(1.1m), ValueCodec.ContentHash(1.10m));
        }

        [Fact]
        public void SmallIntegerTypes_RoundTrip()
        {
            foreach (var v in new object[]
            {
                (byte)0, byte.MaxValue, sbyte.MinValue, sbyte.MaxValue, short.MinValue, short.MaxValue, ushort.MaxValue,
                uint.MaxValue, (uint)0, ulong.MaxValue, (ulong)0,
            })
                AssertRoundTrips(v);
        }

        [Fact]
        public void Char_RoundTrips()
        {
            foreach (var c in new[] { 'a', 'Z', ' ', '"', '\'', '\\', '\n', '\t', '#', ':', '0', '~', 'é', '日', '\0' })
                AssertRoundTrips(c);
        }

        [Fact]
        public void Bool_RoundTrips()
        {
            AssertRoundTrips(true);
            AssertRoundTrips(false);
        }

        [Theory]
        [InlineData(DateTimeKind.Utc)]
        [InlineData(DateTimeKind.Local)]
        [InlineData(DateTimeKind.Unspecified)]
        public void DateTime_KeepsKindAndTicks(DateTimeKind kind)
        {
            var dt = new DateTime(2026, 3, 14, 15, 9, 26, kind).AddTicks(5358979);
            var back = Assert.IsType<DateTime>(RoundTrip(dt));
            Assert.Equal(kind, back.Kind);
            Assert.Equal(dt.Ticks, back.Ticks);
        }

        [Fact]
        public void DateTime_Extremes_RoundTrip()
        {
            foreach (var dt in new[] { DateTime.MinValue, DateTime.SpecifyKind(DateTime.MaxValue, DateTimeKind.Utc), new DateTime(1, 1, 1, 0, 0, 0, DateTimeKind.Utc) })
            {
                var back = Assert.IsType<DateTime>(RoundTrip(dt));
                Assert.Equal(dt.Kind, back.Kind);
                Assert.Equal(dt.Ticks, back.Ticks);
            }
        }

        [Fact]
        public void DateTimeOffset_KeepsOffset()
        {
            foreach (var dto in new[]
            {
                new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(5.5)).AddTicks(1234567),
                new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(-8)),
                new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero),
            })
            {
                var back = Assert.IsType<DateTimeOffset>(RoundTrip(dto));
                Assert.Equal(dto.Offset, back.Offset);
                Assert.Equal(dto.UtcTicks, back.UtcTicks);
                Assert.Equal(dto.Ticks, back.Ticks);
            }
        }

        [Fact]
        public void TimeSpan_Guid_Bytes_RoundTrip()
        {
            AssertRoundTrips(TimeSpan.FromMilliseconds(-123456789.1234));
            AssertRoundTrips(TimeSpan.MaxValue);
            AssertRoundTrips(TimeSpan.MinValue);
            AssertRoundTrips(TimeSpan.Zero);
            AssertRoundTrips(Guid.NewGuid());
            AssertRoundTrips(Guid.Empty);
            var bytes = new byte[300];
            new Random(7).NextBytes(bytes);
            Assert.Equal(bytes, Assert.IsType<byte[]>(RoundTrip(bytes)));
            Assert.Empty(Assert.IsType<byte[]>(RoundTrip(Array.Empty<byte>())));
            Assert.Equal(new byte[] { 0, 255 }, Assert.IsType<byte[]>(RoundTrip(new byte[] { 0, 255 })));
        }

        private enum Color { Red, Green }

        [Fact]
        public void Enum_IsStoredAsItsName()
        {
            Assert.Equal("Green", Assert.IsType<string>(ValueCodec.FromYaml(ValueCodec.ToYaml(Color.Green))));
            Assert.Equal(ValueCodec.ContentHash("Green"), ValueCodec.ContentHash(Color.Green));
            Assert.Equal("ReadWrite", ValueCodec.FromYaml(ValueCodec.ToYaml(FileAccess.ReadWrite)));
        }

        [Fact]
        public void Arrays_Nested_RoundTrip_AsObjectArrays()
        {
            var value = new object?[] { 1, "two", null, 3L, new object?[] { "a", new object?[] { true, 2.5 } }, Array.Empty<object?>(), "" };
            var back = Assert.IsType<object?[]>(RoundTrip(value));
            Assert.Equal(7, back.Length);
            Assert.Equal(1, Assert.IsType<int>(back[0]));
            Assert.Equal("two", back[1]);
            Assert.Null(back[2]);
            Assert.Equal(3L, Assert.IsType<long>(back[3]));
            var inner = Assert.IsType<object?[]>(back[4]);
            Assert.Equal("a", inner[0]);
            var inner2 = Assert.IsType<object?[]>(inner[1]);
            Assert.Equal(true, inner2[0]);
            Assert.Equal(2.5, Assert.IsType<double>(inner2[1]));
            Assert.Empty(Assert.IsType<object?[]>(back[5]));
            Assert.Equal("", back[6]);
        }

        [Fact]
        public void OtherSequences_ComeBackAsObjectArrays()
        {
            var back = Assert.IsType<object?[]>(ValueCodec.FromYaml(ValueCodec.ToYaml(new List<int> { 1, 2 })));
            Assert.Equal(new object?[] { 1, 2 }, back);
            Assert.Equal(ValueCodec.ContentHash(new object?[] { 1, 2 }), ValueCodec.ContentHash(new List<int> { 1, 2 }));
        }

        [Theory]
        [InlineData(MapKind.Object)]
        [InlineData(MapKind.Hashtable)]
        [InlineData(MapKind.Ordered)]
        public void Maps_KeepKindAndKeyOrder(MapKind kind)
        {
            var map = new EngramMap(kind)
            {
                { "zeta", 1 }, { "alpha", "a" }, { "42", "numeric key" }, { "true", false }, { "null", null }, { "", "empty key" },
                { "with space", 1.5 }, { "a *b", "star" }, { "a\t*", "tab star" }, { "Mixed", 2L }, { "a: b", "colon" }, { "#c", "hash" }, { "日本", "jp" },
            };
            var back = Assert.IsType<EngramMap>(RoundTrip(map));
            Assert.Equal(kind, back.Kind);
            Assert.Equal(map.Keys.ToList(), back.Keys.ToList());
            foreach (var kv in map) Assert.Equal(kv.Value, back[kv.Key]);
            Assert.IsType<long>(back["Mixed"]);
        }

        [Fact]
        public void EmptyMaps_KeepKind()
        {
            foreach (var kind in new[] { MapKind.Object, MapKind.Hashtable, MapKind.Ordered })
            {
                var back = Assert.IsType<EngramMap>(RoundTrip(new EngramMap(kind)));
                Assert.Equal(kind, back.Kind);
                Assert.Equal(0, back.Count);
            }
        }

        [Fact]
        public void MapKeyWithNewline_RoundTrips()
        {
            var map = new EngramMap { { "a\nb", 1 }, { "trail ", 2 }, { new string('k', 2000), 3 } };
            var back = Assert.IsType<EngramMap>(RoundTrip(map));
            Assert.Equal(map.Keys.ToList(), back.Keys.ToList());
        }

        [Fact]
        public void ThreeLevelsOfNesting_RoundTrip()
        {
            var value = new EngramMap(MapKind.Ordered)
            {
                { "level1", new EngramMap(MapKind.Hashtable)
                    {
                        { "level2", new object?[] { new EngramMap(MapKind.Object) { { "level3", new object?[] { 1, "x", null } }, { "d", new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc) } } } },
                        { "multi", "a\nb\n" },
                    } },
                { "n", 1m },
            };
            var back = Assert.IsType<EngramMap>(RoundTrip(value));
            Assert.Equal(MapKind.Ordered, back.Kind);
            var l1 = Assert.IsType<EngramMap>(back["level1"]);
            Assert.Equal(MapKind.Hashtable, l1.Kind);
            var l2 = Assert.IsType<object?[]>(l1["level2"]);
            var l3 = Assert.IsType<EngramMap>(l2[0]);
            Assert.Equal(MapKind.Object, l3.Kind);
            Assert.Equal(new object?[] { 1, "x", null }, Assert.IsType<object?[]>(l3["level3"]));
            Assert.Equal(DateTimeKind.Utc, Assert.IsType<DateTime>(l3["d"]).Kind);
            Assert.Equal("a\nb\n", l1["multi"]);
            Assert.IsType<decimal>(back["n"]);
        }

        [Fact]
        public void MaximumDepth_IsAllowed_AndOneMoreIsNot()
        {
            object? deep = "leaf";
            for (int i = 0; i < ValueCodec.MaxDepth; i++) deep = new object?[] { deep };
            RoundTrip(deep);
            Throws(EngramErrorIds.ValueTooDeep, () => ValueCodec.ToYaml(new object?[] { deep }));
            Throws(EngramErrorIds.ValueTooDeep, () => ValueCodec.ContentHash(new object?[] { deep }));
        }

        [Fact]
        public void UnsupportedType_IsRefused()
        {
            var ex = Throws(EngramErrorIds.UnsupportedValueType, () => ValueCodec.ToYaml(new object()));
            Assert.Equal(EngramErrorKind.InvalidArgument, ex.Kind);
            Throws(EngramErrorIds.UnsupportedValueType, () => ValueCodec.ContentHash(new object()));
            Throws(EngramErrorIds.UnsupportedValueType, () => ValueCodec.ToYaml(new object?[] { 1, new object() }));
            Throws(EngramErrorIds.UnsupportedValueType, () => ValueCodec.ContentHash(new EngramMap { { "x", new FileInfo("x") } }));
            Throws(EngramErrorIds.UnsupportedValueType, () => ValueCodec.ContentHash(new Dictionary<string, object> { { "x", 1 } }));
        }

        [Fact]
        public void SelfReferencingList_IsTooDeep()
        {
            var list = new object?[1];
            list[0] = list;
            Throws(EngramErrorIds.ValueTooDeep, () => ValueCodec.ToYaml(list));
            Throws(EngramErrorIds.ValueTooDeep, () => ValueCodec.ContentHash(list));
            var map = new EngramMap();
            map["self"] = map;
            Throws(EngramErrorIds.ValueTooDeep, () => ValueCodec.ContentHash(map));
        }

        [Fact]
        public void ContentHash_IgnoresMapOrder_ButNotTypesOrKinds()
        {
            var a = new EngramMap { { "x", 1 }, { "y", "two" } };
            var b = new EngramMap { { "y", "two" }, { "x", 1 } };
            Assert.Equal(ValueCodec.ContentHash(a), ValueCodec.ContentHash(b));
            Assert.StartsWith("sha256:", ValueCodec.ContentHash(a));
            Assert.Matches("^sha256:[0-9a-f]{64}$", ValueCodec.ContentHash(a));

            var hashes = new[]
            {
                ValueCodec.ContentHash(1), ValueCodec.ContentHash(1L), ValueCodec.ContentHash("1"), ValueCodec.ContentHash(1.0),
                ValueCodec.ContentHash(1m), ValueCodec.ContentHash((byte)1), ValueCodec.ContentHash(true), ValueCodec.ContentHash(null),
                ValueCodec.ContentHash(""), ValueCodec.ContentHash("null"), ValueCodec.ContentHash(Array.Empty<object?>()), ValueCodec.ContentHash(new EngramMap()),
                ValueCodec.ContentHash(new object?[] { "1" }), ValueCodec.ContentHash(new object?[] { 1 }), ValueCodec.ContentHash('1'),
            };
            Assert.Equal(hashes.Length, hashes.Distinct().Count());

            Assert.NotEqual(ValueCodec.ContentHash(new EngramMap(MapKind.Object) { { "x", 1 } }),
                            ValueCodec.ContentHash(new EngramMap(MapKind.Hashtable) { { "x", 1 } }));
            Assert.NotEqual(ValueCodec.ContentHash(new EngramMap(MapKind.Ordered) { { "x", 1 } }),
                            ValueCodec.ContentHash(new EngramMap(MapKind.Hashtable) { { "x", 1 } }));
            // Array order matters.
            Assert.NotEqual(ValueCodec.ContentHash(new object?[] { 1, 2 }), ValueCodec.ContentHash(new object?[] { 2, 1 }));
            // No ambiguity between nesting and flat content.
            Assert.NotEqual(ValueCodec.ContentHash(new object?[] { "a,b" }), ValueCodec.ContentHash(new object?[] { "a", "b" }));
            Assert.NotEqual(ValueCodec.ContentHash(new EngramMap { { "a", "b" }, { "c", "d" } }), ValueCodec.ContentHash(new EngramMap { { "a", "bc" }, { "", "d" } }));
            // Utc vs Unspecified are different values.
            Assert.NotEqual(ValueCodec.ContentHash(new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc)),
                            ValueCodec.ContentHash(new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Unspecified)));
        }

        [Fact]
        public void FromYaml_HandWritten()
        {
            Assert.Equal(5L, Assert.IsType<long>(ValueCodec.FromYaml("!long 5")));
            Assert.Equal(3000000000L, Assert.IsType<long>(ValueCodec.FromYaml("3000000000")));
            Assert.Equal("2026-01-01", Assert.IsType<string>(ValueCodec.FromYaml("2026-01-01")));
            Assert.Equal(5, Assert.IsType<int>(ValueCodec.FromYaml("5")));
            Assert.Equal(-5, Assert.IsType<int>(ValueCodec.FromYaml("-5")));
            Assert.Equal(1.5, Assert.IsType<double>(ValueCodec.FromYaml("1.5")));
            Assert.Null(ValueCodec.FromYaml("~"));
            Assert.Null(ValueCodec.FromYaml("null"));
            Assert.Null(ValueCodec.FromYaml(""));
            Assert.Equal(true, ValueCodec.FromYaml("True"));
            Assert.Equal("yes", ValueCodec.FromYaml("yes"));
            Assert.Equal("5", Assert.IsType<string>(ValueCodec.FromYaml("'5'")));
            Assert.Equal("5", Assert.IsType<string>(ValueCodec.FromYaml("\"5\"")));
            Assert.Equal("5", Assert.IsType<string>(ValueCodec.FromYaml("!!str 5")));
            Assert.Equal("5", Assert.IsType<string>(ValueCodec.FromYaml("! 5")));
            Assert.Equal(double.PositiveInfinity, ValueCodec.FromYaml(".inf"));
            Assert.True(double.IsNaN((double)ValueCodec.FromYaml(".nan")!));
            Assert.Equal(new byte[] { 1, 2, 3 }, ValueCodec.FromYaml("!!binary AQID"));
            Assert.Equal(12345678901234567890m, Assert.IsType<decimal>(ValueCodec.FromYaml("12345678901234567890")));
            var map = Assert.IsType<EngramMap>(ValueCodec.FromYaml("b: 1\na: [x, 2]\n"));
            Assert.Equal(new[] { "b", "a" }, map.Keys.ToArray());
            Assert.Equal(new object?[] { "x", 2 }, map["a"]);
            Assert.Equal(MapKind.Hashtable, Assert.IsType<EngramMap>(ValueCodec.FromYaml("!hashtable {a: 1}")).Kind);
        }

        [Fact]
        public void FromYaml_RefusesWhatItCannotRepresent()
        {
            Assert.ThrowsAny<YamlDotNet.Core.YamlException>(() => ValueCodec.FromYaml("!long nope"));
            Assert.ThrowsAny<YamlDotNet.Core.YamlException>(() => ValueCodec.FromYaml("!unknown 1"));
            Assert.ThrowsAny<YamlDotNet.Core.YamlException>(() => ValueCodec.FromYaml("a: &x 1\nb: *x\n"));
            Assert.ThrowsAny<YamlDotNet.Core.YamlException>(() => ValueCodec.FromYaml("a: 1\na: 2\n"));
            Assert.ThrowsAny<YamlDotNet.Core.YamlException>(() => ValueCodec.FromYaml("!byte 256"));
            Assert.ThrowsAny<YamlDotNet.Core.YamlException>(() => ValueCodec.FromYaml("!char ab"));
        }

        [Fact]
        public void EverythingTogether_RoundTrips()
        {
            var value = new EngramMap(MapKind.Ordered)
            {
                { "s", "x" }, { "i", 1 }, { "l", 1L }, { "d", 1.0 }, { "f", 1f }, { "m", 1.10m }, { "b", (byte)1 }, { "sb", (sbyte)-1 },
                { "sh", (short)-2 }, { "us", (ushort)2 }, { "ui", 3u }, { "ul", 4ul }, { "c", 'c' }, { "dt", new DateTime(2026, 1, 1, 1, 1, 1, DateTimeKind.Local) },
                { "dto", new DateTimeOffset(2026, 1, 1, 1, 1, 1, TimeSpan.FromHours(2)) }, { "ts", TimeSpan.FromSeconds(90) }, { "g", Guid.NewGuid() },
                { "bytes", new byte[] { 1, 2 } }, { "t", true }, { "n", null }, { "arr", new object?[] { 1, new EngramMap(MapKind.Hashtable) { { "k", "v" } } } },
            };
            var back = Assert.IsType<EngramMap>(RoundTrip(value));
            foreach (var kv in value)
            {
                if (kv.Value == null) { Assert.Null(back[kv.Key]); continue; }
                Assert.Equal(kv.Value.GetType(), back[kv.Key]!.GetType());
            }
        }
    }
}
