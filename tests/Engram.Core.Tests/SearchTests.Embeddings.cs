using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Engram.Core;
using Engram.Core.Search;
using Engram.Core.Storage;
using Engram.Core.Values;
using Engram.Embeddings;
using Microsoft.Extensions.AI;
using Engram.Tests.Shared;
using Xunit;
using static Engram.Core.Tests.TestUtil;

namespace Engram.Core.Tests
{
    public partial class SearchTests : IDisposable
    {
        [Fact]
        public void Configured_ollama_endpoint_embeds_over_http()
        {
            SeedMeaning();
            using var server = new LoopbackEmbeddingServer(BagOfWordsGenerator.Embed);
            var config = new StoreConfig { Embeddings = new EmbeddingsConfig("ollama", "nomic-embed-text", server.BaseAddress) };
            using (var search = EmbeddingGeneratorFactory.CreateSearch(config))
            {
                var hits = search.Search(S, "pasta dinner", top: 2);
                Assert.Equal("kitchen", hits[0].Key);
                Assert.Equal(2, hits.Count);
            }
            Assert.True(server.Requests >= 2);
            Assert.All(server.Authorizations, a => Assert.Null(a));
        }

        [Fact]
        public void An_unreachable_endpoint_is_EmbeddingFailed()
        {
            SeedMeaning();
            int port;
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            foreach (var provider in new[] { "ollama", "openai" })
            {
                var config = new StoreConfig { Embeddings = new EmbeddingsConfig(provider, "m", $"http://127.0.0.1:{port}/v1") };
                using var search = EmbeddingGeneratorFactory.CreateSearch(config);
                var ex = Throws(EngramErrorIds.EmbeddingFailed, () => search.Search(S, "anything"));
                Assert.Contains("embeddings:", ex.Message);
            }
            Assert.False(Directory.Exists(_t.P("_vectors")));
        }
    }
}
