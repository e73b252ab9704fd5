using System;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using Engram.Core;
using Engram.Core.Provenance;
using Engram.Core.Values;
using Xunit;

namespace Engram.Core.Tests
{
    /// <summary>
    /// The readers that keep the verifier's memory bounded by one value (issue 16): a long string is hashed a chunk at a
    /// time, and a history is read entry by entry from its bytes. Both must give exactly what the whole-value and
    /// line-by-line readers gave.
    /// </summary>
    public sealed class LargeValueReadTests : IDisposable
    {
        private readonly TempStore _t = new TempStore();

        public void Dispose() => _t.Dispose();

        private static string Expected(string s)
        {
            var bytes = Encoding.ASCII.GetBytes("s" + s.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) + ":").Concat(new UTF8Encoding(false, true).GetBytes(s)).ToArray();
            return "sha256:" + string.Concat(SHA256.HashData(bytes).Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
        }

        [Theory]
        [InlineData(256 * 1024 - 1)] // a surrogate pair across the first chunk boundary
        [InlineData(256 * 1024)]
        [InlineData(3 * 256 * 1024 + 7)]
        public void A_long_string_hashes_as_its_whole_UTF8_does(int pairAt)
        {
            var s = new string('a', pairAt) + "\U0001F600" + new string('é', 1000) + "end";
            Assert.True(s.Length > 256 * 1024);
            Assert.Equal(Expected(s), ValueCodec.ContentHash(s));
        }

        [Fact]
        public void A_long_string_with_an_unpaired_surrogate_is_refused_as_a_short_one_is()
        {
            var shortId = Assert.Throws<EngramException>(() => ValueCodec.ContentHash("x\uD800")).ErrorId;
            var longEx = Assert.Throws<EngramException>(() => ValueCodec.ContentHash(new string('a', 300 * 1024) + "\uD800"));
            Assert.Equal(shortId, longEx.ErrorId);
            Assert.Equal(shortId, Assert.Throws<EngramException>(() => ValueCodec.ContentHash(new string('a', 300 * 1024) + "\uDC00" + "tail")).ErrorId);
        }

        [Theory]
        [InlineData("")]
        [InlineData("\n")]
        [InlineData("\n\n")]
        [InlineData("\n\n\n")]
        public void A_one_line_text_block_reads_back_with_its_line_feeds(string trailing)
        {
            var value = "one line with: a colon, so it is written as a text block " + new string('x', 10000) + trailing;
            _t.Set("shared", "k", value);
            Assert.Contains("value: |", File.ReadAllText(_t.P("shared", "k.yaml")), StringComparison.Ordinal);
            Assert.Equal(value, _t.Reopen().Get("shared", "k").Value);
            Assert.Equal(value, _t.Reopen().GetProvenance("shared", "k").Last().Value);
        }

        private string ProvPath => _t.P("_provenance", "shared", "k.prov");

        private static string Describe(ProvenanceEntry e) => FormattableString.Invariant($"{e.Seq} {e.Action} {e.Version} {e.Hash} {e.HasValue} {(e.Value is string v ? ValueCodec.ContentHash(v) : e.Value?.ToString())}");

        private string[] ReadAll() => new ProvenanceLog(ProvPath).ReadAll(new FileInfo(ProvPath).Length).Select(Describe).ToArray();

        [Fact]
        public void Entries_larger_than_the_read_buffer_and_small_ones_read_back_whole()
        {
            var big = string.Join("\n", Enumerable.Range(0, 20000).Select(i => "line " + i));
            _t.Set("shared", "k", "small");
            _t.Set("shared", "k", big);
            _t.Set("shared", "k", "plain " + new string('p', 150 * 1024));
            _t.Set("shared", "k", "small again");
            var entries = new ProvenanceLog(ProvPath).ReadAll(new FileInfo(ProvPath).Length).ToList();
            Assert.Equal(new long[] { 1, 2, 3, 4 }, entries.Select(e => e.Seq));
            Assert.Equal(big, entries[1].Value);
            Assert.Equal("plain " + new string('p', 150 * 1024), entries[2].Value);
            Assert.Equal("small again", entries[3].Value);
            Assert.True(_t.Reopen().Verify().Healthy);
        }

        [Fact]
        public void A_history_with_carriage_returns_or_a_byte_order_mark_reads_as_the_text_reader_read_it()
        {
            _t.Set("shared", "k", "one\ntwo");
            _t.Set("shared", "k", string.Join("\n", Enumerable.Range(0, 9000).Select(i => "row " + i)));
            _t.Set("shared", "k", "three");
            var before = ReadAll();
            var text = File.ReadAllText(ProvPath);

            File.WriteAllText(ProvPath, text.Replace("\n", "\r\n"));
            Assert.Equal(before, ReadAll());
            File.WriteAllText(ProvPath, text.Replace("\n", "\r"));
            Assert.Equal(before, ReadAll());
            File.WriteAllBytes(ProvPath, new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes(text)).ToArray());
            Assert.Equal(before, ReadAll());
            File.WriteAllBytes(ProvPath, Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes(text)).ToArray());
            Assert.Equal(before, ReadAll());
            // A hand-made last entry without its trailer line is read too; blank bytes after the last trailer are not.
            File.WriteAllText(ProvPath, text + "\n\n");
            Assert.Equal(before, ReadAll());
            var withoutTrailer = text.Substring(0, text.LastIndexOf("#~ ", StringComparison.Ordinal));
            File.WriteAllText(ProvPath, withoutTrailer);
            Assert.Equal(before, ReadAll());
        }
    }
}
