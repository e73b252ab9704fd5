using System;
using System.Linq;
using Engram.Core;
using Xunit;

namespace Engram.Storage.Tests
{
    /// <summary>The store's lifecycle as the engine writes it once for every backend: configuration edits made under the
    /// write lock start from what is stored (not from a copy read earlier), and Optimize's figures measure the store.</summary>
    public abstract partial class BackendContract
    {
        [BackendFact]
        public void ConfigEdits_StartFromTheStoredConfiguration_NotFromOneReadEarlier()
        {
            S.Initialize();
            var early = Reopen();
            Assert.True(early.Config.DefaultRetention.IsForever); // read (and kept) before the other writers below

            Reopen().SetRetention("longterm", new RetentionPolicy(null, 5));
            early.SetRetention("session", new RetentionPolicy(TimeSpan.FromDays(7), null));
            var config = Reopen().Config;
            Assert.Equal(5, config.RetentionFor("longterm").MaxEntries);              // the other writer's edit is kept
            Assert.Equal(TimeSpan.FromDays(7), config.RetentionFor("session").MaxAge);

            Reopen().SetEmbeddings(new Engram.Core.Search.EmbeddingsConfig(Engram.Core.Search.EmbeddingsConfig.Ollama, "nomic-embed-text"));
            early.SetRetention(null, new RetentionPolicy(null, 50));
            config = Reopen().Config;
            Assert.Equal("nomic-embed-text", config.Embeddings?.Model);
            Assert.Equal(50, config.DefaultRetention.MaxEntries);
            Assert.Equal(5, config.RetentionFor("longterm").MaxEntries);

            // -Force keeps the sections it does not set as they are stored now.
            Reopen().SetRetention("projects", new RetentionPolicy(null, 3));
            early.Initialize(new StoreConfig { TrackAll = true }, force: true);
            config = Reopen().Config;
            Assert.True(config.TrackAll);
            Assert.Equal(3, config.RetentionFor("projects").MaxEntries);
            Assert.Equal("nomic-embed-text", config.Embeddings?.Model);
        }

        [BackendFact]
        public void Optimize_FiguresMeasureTheStore_TheNextRunStartsWhereTheLastEnded()
        {
            for (int i = 1; i <= 5; i++) Put(Ns, "a", "value " + i, actor: "writer");
            for (int i = 1; i <= 3; i++) Put("longterm", "b", "value " + i, actor: "writer");
            Put(Ns, "lone", "once");
            S.SetRetention(null, new RetentionPolicy(null, 1));

            var dry = S.Optimize(dryRun: true, actor: "janitor");
            Assert.Equal(new[] { "longterm", Ns }, dry.Select(r => r.Namespace));
            var real = S.Optimize(actor: "janitor");
            Assert.Equal(new[] { "longterm", Ns }, real.Select(r => r.Namespace));
            for (int i = 0; i < real.Count; i++)
            {
                Assert.False(dry[i].Applied);
                Assert.True(real[i].Applied);
                Assert.Equal(dry[i].BytesBefore, real[i].BytesBefore);   // the dry run predicts the real one
                Assert.Equal(dry[i].BytesAfter, real[i].BytesAfter);
                Assert.True(real[i].BytesFreed > 0, real[i].Namespace);
            }
            Assert.Equal(new[] { 1, 1 }, real.Select(r => r.HistoriesSquashed));
            Assert.Equal(new[] { 2, 4 }, real.Select(r => r.EntriesRemoved));
            Assert.Equal(new[] { 1, 2 }, real.Select(r => r.HistoriesChecked));

            // What a run reports as after is what the next one finds before: the figures are the stored bytes.
            var again = Reopen().Optimize(dryRun: true, actor: "janitor");
            Assert.Equal(real.Select(r => r.BytesAfter), again.Select(r => r.BytesBefore));
            Assert.All(again, r => Assert.Equal(0, r.BytesFreed));
            Assert.Single(S.Optimize(n => n == Ns, actor: "janitor"), r => r.HistoriesSquashed == 0);
        }
    }
}
