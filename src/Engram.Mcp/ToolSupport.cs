using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;
using Engram.Core;
using Engram.Core.Provenance;
using Engram.Core.Values;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Engram.Mcp
{
    /// <summary>What every tool call shares: the store, the actor rule and the logger.</summary>
    public sealed class EngramToolContext
    {
        public EngramToolContext(IEngramStore store, string? actorOverride)
        {
            Store = store;
            ActorOverride = actorOverride;
        }

        public IEngramStore Store { get; }

        /// <summary>The --actor the server was started with (null: the client's clientInfo).</summary>
        public string? ActorOverride { get; }

        /// <summary>The actor of a change: --actor, else the client's clientInfo "name/version", else "mcp-client".</summary>
        public string ActorFor(McpServer server)
        {
            if (ActorOverride != null) return ActorOverride;
            var info = server.ClientInfo;
            var name = info?.Name?.Trim();
            if (string.IsNullOrEmpty(name)) return "mcp-client";
            var version = info!.Version?.Trim();
            return string.IsNullOrEmpty(version) ? name! : name + "/" + version;
        }
    }

    /// <summary>Tool results: text (the JSON, as the protocol recommends for structured results) plus structured content;
    /// an Engram error is a tool error (isError) with the error id and message.</summary>
    internal static class ToolResults
    {
        public static CallToolResult Run(ILogger logger, string tool, Func<JsonObject> operation)
        {
            try
            {
                return Ok(operation());
            }
            catch (MergeConflictException ex)
            {
                var conflicts = new JsonArray(ex.Plan.Conflicts.Select(c => (JsonNode?)Conflict(c)).ToArray());
                return Error(ex, new JsonObject { ["namespace"] = ex.Plan.Namespace, ["branch"] = ex.Plan.Branch, ["conflicts"] = conflicts });
            }
            catch (EngramException ex)
            {
                return Error(ex, null);
            }
            catch (Exception ex) when (!(ex is OperationCanceledException))
            {
                logger.LogError(ex, "{Tool} failed unexpectedly", tool);
                return Error("InternalError", $"{tool} failed unexpectedly: {ex.Message}", null, null);
            }
        }

        public static CallToolResult Ok(JsonObject structured) => new CallToolResult
        {
            Content = new List<ContentBlock> { new TextContentBlock { Text = structured.ToJsonString(JsonOptions) } },
            StructuredContent = JsonSerializer.SerializeToElement(structured, JsonOptions),
        };

        public static CallToolResult Error(EngramException ex, JsonObject? details) =>
            Error(ex.ErrorId, ex.Message, ex.Target == null ? null : Convert.ToString(ex.Target, CultureInfo.InvariantCulture), details);

        public static CallToolResult Error(string id, string message, string? target, JsonObject? details)
        {
            var error = new JsonObject { ["id"] = id, ["message"] = message };
            if (target != null) error["target"] = target;
            var structured = new JsonObject { ["error"] = error };
            if (details != null) foreach (var kv in details.ToList()) { details.Remove(kv.Key); structured[kv.Key] = kv.Value; }
            var text = id + ": " + message;
            if (structured.ContainsKey("conflicts")) text += "\n" + structured.ToJsonString(JsonOptions);
            return new CallToolResult
            {
                IsError = true,
                Content = new List<ContentBlock> { new TextContentBlock { Text = text } },
                StructuredContent = JsonSerializer.SerializeToElement(structured, JsonOptions),
            };
        }

        /// <summary>A call-tool filter: arguments the SDK cannot bind (a required one missing, one of the wrong JSON type)
        /// never reach the tool; without this the model would get only "An error occurred invoking". Such a call is a
        /// tool error InvalidConfiguration that names the argument and the type its schema asks for; nothing ran.</summary>
        public static McpRequestHandler<CallToolRequestParams, CallToolResult> BindingErrors(McpRequestHandler<CallToolRequestParams, CallToolResult> next) =>
            async (request, cancellationToken) =>
            {
                try
                {
                    return await next(request, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is ArgumentException || ex is JsonException)
                {
                    var tool = request.Params?.Name ?? "";
                    var schema = (request.MatchedPrimitive as McpServerTool)?.ProtocolTool.InputSchema;
                    string? mistyped = null;
                    if (ex is JsonException && schema is JsonElement sc && sc.TryGetProperty("properties", out var props) && request.Params?.Arguments != null)
                    {
                        foreach (var arg in request.Params.Arguments)
                            if (props.TryGetProperty(arg.Key, out var p) && !FitsSchemaType(arg.Value, p, out var wanted)) { mistyped = $"'{arg.Key}' must be {wanted}, not {arg.Value.ValueKind.ToString().ToLowerInvariant()} {arg.Value.GetRawText()}"; break; }
                    }
                    var message = ex is ArgumentException && ex.Message.Contains("missing a value for the required parameter")
                        ? $"{tool}: the required argument '{ex.Message.Split('\'')[1]}' is missing. Nothing was done."
                        : $"{tool}: {(mistyped ?? "an argument does not fit the tool's input schema (" + ex.Message + ")")}. Nothing was done.";
                    return Error(EngramErrorIds.InvalidConfiguration, message, tool, null);
                }
            };

        private static bool FitsSchemaType(JsonElement value, JsonElement property, out string wanted)
        {
            wanted = "";
            if (!property.TryGetProperty("type", out var type)) return true;
            var types = type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()).ToList() : new List<string?> { type.GetString() };
            wanted = string.Join(" or ", types.Where(t => t != "null").Select(t => t == "integer" ? "an integer" : t == "array" || t == "object" ? "an " + t : "a " + t));
            foreach (var t in types)
            {
                switch (t)
                {
                    case "null": if (value.ValueKind == JsonValueKind.Null) return true; break;
                    case "string": if (value.ValueKind == JsonValueKind.String) return true; break;
                    case "boolean": if (value.ValueKind == JsonValueKind.True || value.ValueKind == JsonValueKind.False) return true; break;
                    case "integer": if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _)) return true; break;
                    case "number": if (value.ValueKind == JsonValueKind.Number) return true; break;
                    case "array": if (value.ValueKind == JsonValueKind.Array) return true; break;
                    case "object": if (value.ValueKind == JsonValueKind.Object) return true; break;
                    default: return true;
                }
            }
            return false;
        }

        /// <summary>What a JSON number has only when it is not an integer: a fraction or an exponent.</summary>
        private static readonly System.Buffers.SearchValues<char> NonIntegerChars = System.Buffers.SearchValues.Create(".eE");

        private static readonly JsonSerializerOptions JsonOptions = new JsonSerializerOptions { WriteIndented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

        // ------------------------------------------------------------------ core values <-> JSON

        /// <summary>A JSON value as a core value: objects become property bags (key order kept), arrays sequences,
        /// integral numbers long, other numbers double.</summary>
        public static object? FromJson(JsonElement e)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.Null:
                case JsonValueKind.Undefined: return null;
                case JsonValueKind.String: return e.GetString();
                case JsonValueKind.True: return true;
                case JsonValueKind.False: return false;
                case JsonValueKind.Number:
                    if (e.TryGetInt64(out var l)) return l;
                    var raw = e.GetRawText();
                    if (raw.AsSpan().IndexOfAny(NonIntegerChars) < 0)
                    {
                        // An integer beyond 64 bits: exact as a [decimal] (up to 28 digits), else refused as PowerShell
                        // refuses a [bigint]; a double would silently round it.
                        if (e.TryGetDecimal(out var d)) return d;
                        throw new EngramException(EngramErrorIds.UnsupportedValueType, EngramErrorKind.InvalidArgument,
                            $"The integer {raw} is not stored: Engram keeps integers of up to 64 bits, or up to 28 digits as a decimal, exactly. Send it as a string to keep its digits.", raw);
                    }
                    return e.GetDouble();
                case JsonValueKind.Array: return e.EnumerateArray().Select(FromJson).ToArray();
                default:
                    var map = new EngramMap(MapKind.Object);
                    foreach (var p in e.EnumerateObject()) map[p.Name] = FromJson(p.Value);
                    return map;
            }
        }

        /// <summary>A core value as JSON (the core's one JSON writer: dates as ISO 8601, bytes as base64).</summary>
        public static JsonNode? ToJson(object? value) => value == null ? null : JsonNode.Parse(Engram.Core.History.Json.Serialize(value, indent: false));

        public static string Time(DateTime utc) => DateTime.SpecifyKind(utc, DateTimeKind.Utc).ToString("o", CultureInfo.InvariantCulture);

        public static JsonObject Memory(MemoryRecord m, bool withValue = true)
        {
            var o = new JsonObject
            {
                ["namespace"] = m.Namespace,
                ["key"] = m.Key,
                ["branch"] = m.Branch,
                ["version"] = m.Version,
                ["id"] = m.Id,
                ["tags"] = new JsonArray(m.Tags.Select(t => (JsonNode?)t).ToArray()),
                ["created"] = Time(m.CreatedUtc),
                ["updated"] = Time(m.UpdatedUtc),
            };
            if (withValue) o["value"] = ToJson(m.Value);
            return o;
        }

        public static JsonObject Entry(ProvenanceEntry e, bool withValue)
        {
            var o = new JsonObject
            {
                ["seq"] = e.Seq,
                ["version"] = e.Version,
                ["action"] = e.Action,
                ["actor"] = e.Actor,
                ["time"] = Time(e.TimestampUtc),
                ["reason"] = e.Reason,
                ["branch"] = e.Branch,
            };
            if (withValue && e.HasValue) o["value"] = ToJson(e.Value);
            if (e.Details != null && e.Details.Count > 0) o["details"] = ToJson(e.Details);
            o["hash"] = e.Hash;
            return o;
        }

        public static JsonObject Source(SourceState s) => new JsonObject
        {
            ["namespace"] = s.Namespace,
            ["key"] = s.Key,
            ["branch"] = s.Branch,
            ["pinned_version"] = s.PinnedVersion,
            ["current_version"] = s.CurrentVersion,
            ["removed"] = s.Removed,
        };

        public static JsonObject Conflict(MergeItem c)
        {
            var o = new JsonObject { ["key"] = c.Key, ["outcome"] = c.Outcome.ToString().ToLowerInvariant() };
            o["base"] = c.Base == null || c.Base.Deleted ? null : Memory(c.Base);
            o["ours"] = c.Ours == null || c.Ours.Deleted ? null : Memory(c.Ours);
            o["theirs"] = c.Theirs == null || c.Theirs.Deleted ? null : Memory(c.Theirs);
            if (c.Resolution != null) o["resolution"] = c.Resolution;
            return o;
        }

        public static JsonArray Array(IEnumerable<JsonNode?> items) => new JsonArray(items.ToArray());
    }
}
