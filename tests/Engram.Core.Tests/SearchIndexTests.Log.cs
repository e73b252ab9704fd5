using System.IO;
using System.Linq;
using System.Text;
using Engram.Core.Search;
using Engram.Core.Storage;
using Xunit;

namespace Engram.Core.Tests
{
    public sealed partial class SearchIndexTests
    {
        private static string LogLine(string key, string value) =>
            new SearchLogRecord(key, "sha256:" + new string('a', 64), TermCounts.Of(key, value)).ToLine();

        private static string[] Keys(SearchLog log) => log.Records.Select(r => r.Key + "=" + r.Counts!.ValueLength).ToArray();

        [Fact]
        public void ALogReadAgain_GivesWhatAFreshParseGives_WhetherItGrew_WasRewritten_OrWasCut()
        {
            Directory.CreateDirectory(_dir.Parent);
            var path = Path.Combine(_dir.Parent, "log-" + System.Guid.NewGuid().ToString("N"));
            var utf8 = new UTF8Encoding(false);
            File.WriteAllText(path, SearchLog.Header(0) + LogLine("a", "one") + LogLine("b", "two words"), utf8);
            Assert.Equal(new[] { "a=1", "b=2" }, Keys(SearchLog.TryRead(path)!));

            // Appended (the common case: parsed on from where the last read stopped), and a torn append after it.
            File.AppendAllText(path, LogLine("c", "three more words") + "+ d sha", utf8);
            var grown = SearchLog.TryRead(path)!;
            Assert.Equal(new[] { "a=1", "b=2", "c=3" }, Keys(grown));
            Assert.Equal(new FileInfo(path).Length - "+ d sha".Length, grown.ValidLength);

            // The torn append completed: the record it began is read whole, not from the half the last read saw.
            File.WriteAllText(path, SearchLog.Header(0) + LogLine("a", "one") + LogLine("b", "two words") + LogLine("c", "three more words") + LogLine("d", "four of the words"), utf8);
            Assert.Equal(new[] { "a=1", "b=2", "c=3", "d=4" }, Keys(SearchLog.TryRead(path)!));

            // Rewritten from the start with the same length (a compaction's new log, or a hand edit): parsed afresh.
            File.WriteAllText(path, SearchLog.Header(0) + LogLine("a", "eno") + LogLine("b", "owt sdrow") + LogLine("c", "eerht erom sdrow") + LogLine("d", "ruof fo eht sdrow"), utf8);
            var rewritten = SearchLog.TryRead(path)!;
            Assert.Equal(new[] { "a=1", "b=2", "c=3", "d=4" }, Keys(rewritten));
            Assert.Equal(new[] { "eno" }, rewritten.Records[0].Counts!.Terms.Where(t => t != "a").ToArray());

            // Cut back (a failed write's record removed): what is left.
            File.WriteAllText(path, SearchLog.Header(0) + LogLine("a", "eno"), utf8);
            Assert.Equal(new[] { "a=1" }, Keys(SearchLog.TryRead(path)!));

            // A line that is no record, even after the part read before, is refused.
            File.AppendAllText(path, "not a record\n", utf8);
            Assert.Throws<InvalidDataException>(() => SearchLog.TryRead(path));
        }
    }
}
