using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace Engram.HelpGen
{
    /// <summary>
    /// Engram.HelpGen &lt;module dll&gt; &lt;help md folder&gt; &lt;about md&gt; &lt;output folder&gt;
    /// <para>
    /// Loads the module assembly by path, reads every cmdlet's attributes, pairs each cmdlet with
    /// &lt;help folder&gt;/&lt;Verb-Noun&gt;.md, checks they agree (every cmdlet documented, every parameter documented,
    /// no documented parameter that does not exist, OUTPUTS matching [OutputType]), and writes
    /// &lt;output&gt;/&lt;module dll name&gt;-Help.xml (MAML) and &lt;output&gt;/about_*.help.txt. Any disagreement is an
    /// MSBuild-style error and exit code 1; nothing is written then.
    /// </para>
    /// </summary>
    public static class Program
    {
        private static readonly Regex CommandFileName = new Regex(@"^[A-Za-z]+-[A-Za-z0-9]+$", RegexOptions.CultureInvariant);
        private static readonly Regex EngramCommandMention = new Regex(@"(?<![\w-])[A-Z][a-z]+-Engram[A-Za-z0-9]*(?![\w-])", RegexOptions.CultureInvariant);

        /// <summary>Descriptions of the parameters the engine adds for SupportsShouldProcess (an md file may override them).</summary>
        private static readonly Dictionary<string, string> RiskMitigationText = new Dictionary<string, string>
        {
            ["WhatIf"] = "Shows what would happen if the cmdlet runs. The cmdlet is not run.",
            ["Confirm"] = "Prompts you for confirmation before running the cmdlet.",
        };

        public static int Main(string[] args)
        {
            if (args.Length != 4)
            {
                Console.Error.WriteLine("usage: Engram.HelpGen <module dll> <help md folder> <about md> <output folder>");
                return 2;
            }
            var errors = new List<HelpError>();
            try
            {
                var result = Run(args[0], args[1], args[2], args[3], errors);
                if (errors.Count > 0)
                {
                    foreach (var e in errors.OrderBy(e => e.File ?? "").ThenBy(e => e.Line)) Console.Error.WriteLine(e);
                    Console.Error.WriteLine($"Engram.HelpGen: error EHG000: {errors.Count} problem(s) in the help sources; no help was written. The format is described in {Path.Combine(Path.GetFullPath(args[1]), "README.md")}.");
                    return 1;
                }
                Console.WriteLine(result);
                return 0;
            }
            catch (Exception ex)
            {
                Console.Error.WriteLine(new HelpError("EHG000", "help generation failed: " + ex));
                return 1;
            }
        }

        /// <summary>Generates the help; returns a one-line summary. Problems go to <paramref name="errors"/> (nothing written then).</summary>
        public static string Run(string modulePath, string helpFolder, string aboutPath, string outFolder, List<HelpError> errors)
        {
            modulePath = Path.GetFullPath(modulePath);
            helpFolder = Path.GetFullPath(helpFolder);
            aboutPath = Path.GetFullPath(aboutPath);
            outFolder = Path.GetFullPath(outFolder);
            if (!File.Exists(modulePath)) throw new FileNotFoundException("The module assembly does not exist.", modulePath);
            if (!Directory.Exists(helpFolder)) throw new DirectoryNotFoundException("The help source folder does not exist: " + helpFolder);
            if (!File.Exists(aboutPath)) throw new FileNotFoundException("The about topic source does not exist.", aboutPath);

            var cmdlets = CmdletReflector.Read(CmdletReflector.Load(modulePath));
            if (cmdlets.Count == 0) errors.Add(new HelpError("EHG001", "the module assembly has no cmdlet classes.", modulePath));

            // ---- help sources
            var docs = new Dictionary<string, CommandDoc>(StringComparer.OrdinalIgnoreCase);
            var shared = new List<ParameterDoc>();
            foreach (var path in Directory.EnumerateFiles(helpFolder, "*.md").OrderBy(p => p, StringComparer.Ordinal))
            {
                var name = Path.GetFileNameWithoutExtension(path);
                if (name.Equals("README", StringComparison.OrdinalIgnoreCase)) continue;
                if (Path.GetFileName(path) == HelpSourceReader.SharedFileName)
                {
                    shared = HelpSourceReader.ReadShared(path, errors);
                    continue;
                }
                if (!CommandFileName.IsMatch(name))
                {
                    errors.Add(new HelpError("EHG002", $"'{Path.GetFileName(path)}' is neither a command help file (<Verb-Noun>.md), README.md nor {HelpSourceReader.SharedFileName}.", path));
                    continue;
                }
                docs[name] = HelpSourceReader.ReadCommand(path, errors);
            }

            // ---- pair cmdlets and sources
            var byName = cmdlets.ToDictionary(c => c.Name, StringComparer.OrdinalIgnoreCase);
            foreach (var doc in docs.Values.Where(d => !byName.ContainsKey(d.Name)))
                errors.Add(new HelpError("EHG002", $"documents '{doc.Name}', but the module has no such cmdlet (renamed or removed? delete or rename this file).", doc.File, 1));

            var helps = new List<CommandHelp>();
            foreach (var cmdlet in cmdlets)
            {
                if (!docs.TryGetValue(cmdlet.Name, out var doc))
                {
                    errors.Add(new HelpError("EHG001",
                        $"the cmdlet {cmdlet.Name} ({cmdlet.Type.FullName}) has no help source. Create {Path.Combine(helpFolder, cmdlet.Name + ".md")}: copy an existing one; the format is in README.md there.",
                        Path.Combine(helpFolder, cmdlet.Name + ".md")));
                    continue;
                }
                if (doc.Name != cmdlet.Name)
                    errors.Add(new HelpError("EHG002", $"the file name must be spelled like the cmdlet: {cmdlet.Name}.md.", doc.File, 1));
                var text = MatchParameters(cmdlet, doc, shared, errors);
                MatchOutputs(cmdlet, doc, errors);
                helps.Add(new CommandHelp(cmdlet, doc, text));
            }
            foreach (var s in shared.Where(s => !s.Used))
                errors.Add(new HelpError("EHG010", $"-{s.Name} is described here but no cmdlet has that parameter (or every cmdlet that has it documents its own).", s.File, s.Line));

            // Cmdlet names in the text (examples, descriptions, links) must exist: renames cannot leave stale help.
            foreach (var file in docs.Values.Select(d => d.File).Append(aboutPath))
                CheckMentions(file, byName, errors);

            var about = AboutWriter.Convert(aboutPath, errors);
            if (about != null)
                foreach (var doc in docs.Values)
                    foreach (var link in doc.Links.Where(l => l.Text.StartsWith("about_Engram", StringComparison.OrdinalIgnoreCase) && l.Text != about.Value.Topic))
                        errors.Add(new HelpError("EHG009", $"RELATED LINKS names '{link.Text}', but the module's about topic is {about.Value.Topic}.", doc.File, link.Line));

            if (errors.Count > 0) return "";

            // ---- write
            Directory.CreateDirectory(outFolder);
            var mamlPath = Path.Combine(outFolder, Path.GetFileName(modulePath) + "-Help.xml");
            WriteAtomic(mamlPath, MamlWriter.Write(helps));
            var aboutOut = Path.Combine(outFolder, about!.Value.Topic + ".help.txt");
            WriteAtomic(aboutOut, about.Value.Text);
            return $"Engram help: {helps.Count} cmdlets and {about.Value.Topic} -> {outFolder}";
        }

        private static void CheckMentions(string file, Dictionary<string, CmdletModel> cmdlets, List<HelpError> errors)
        {
            var lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
                foreach (Match m in EngramCommandMention.Matches(lines[i]))
                    if (!cmdlets.ContainsKey(m.Value))
                        errors.Add(new HelpError("EHG009", $"mentions '{m.Value}', which the module does not have.", file, i + 1));
        }

        private static Dictionary<string, ParameterDoc> MatchParameters(CmdletModel cmdlet, CommandDoc doc, List<ParameterDoc> shared, List<HelpError> errors)
        {
            var text = new Dictionary<string, ParameterDoc>(StringComparer.Ordinal);
            foreach (var p in cmdlet.Parameters)
            {
                var own = doc.Parameters.FirstOrDefault(d => d.Name == p.Name);
                if (own != null) { text[p.Name] = own; continue; }
                var common = p.IsRiskMitigation ? null : shared.FirstOrDefault(d => d.Name == p.Name);
                if (common != null)
                {
                    common.Used = true;
                    text[p.Name] = common;
                    continue;
                }
                if (p.IsRiskMitigation)
                {
                    text[p.Name] = new ParameterDoc(p.Name, new List<Para> { new Para(RiskMitigationText[p.Name], false) }, 0, "");
                    continue;
                }
                var miscased = doc.Parameters.FirstOrDefault(d => string.Equals(d.Name, p.Name, StringComparison.OrdinalIgnoreCase));
                errors.Add(new HelpError("EHG003",
                    $"{cmdlet.Name} has the parameter -{p.Name} ({CmdletReflector.ShortName(p.Type)}), which is not documented: add '### -{p.Name}' under ## PARAMETERS" +
                    (miscased != null ? $" (-{miscased.Name} is spelled differently)." : "."),
                    doc.File, doc.ParametersLine));
            }
            foreach (var d in doc.Parameters)
            {
                if (cmdlet.Parameters.Any(p => p.Name == d.Name)) continue;
                string why = CmdletReflector.CommonParameters.Contains(d.Name)
                    ? $"-{d.Name} is a common parameter: Get-Help describes those itself (about_CommonParameters); remove this section."
                    : RiskMitigationText.ContainsKey(d.Name)
                        ? $"{cmdlet.Name} does not support ShouldProcess, so it has no -{d.Name}; remove this section."
                        : $"documents -{d.Name}, which {cmdlet.Name} does not have (renamed or removed?). Its parameters: {string.Join(", ", cmdlet.Parameters.Where(p => !p.IsRiskMitigation).Select(p => "-" + p.Name))}.";
                errors.Add(new HelpError("EHG004", why, d.File, d.Line));
            }
            return text;
        }

        private static void MatchOutputs(CmdletModel cmdlet, CommandDoc doc, List<HelpError> errors)
        {
            if (doc.Outputs.Count == 0) return; // already reported
            var declared = cmdlet.OutputTypes;
            bool Matches(string heading, string type) =>
                heading == type || heading == type.Substring(type.LastIndexOf('.') + 1);

            if (declared.Count == 0)
            {
                foreach (var o in doc.Outputs.Where(o => o.Name != "None"))
                    errors.Add(new HelpError("EHG007", $"{cmdlet.Name} declares no [OutputType], so OUTPUTS must be '### None' (or add [OutputType(typeof({o.Name}))] to the cmdlet).", doc.File, o.Line));
                return;
            }
            foreach (var o in doc.Outputs.Where(o => !declared.Any(t => Matches(o.Name, t))))
                errors.Add(new HelpError("EHG007", $"OUTPUTS lists '{o.Name}', which is not an [OutputType] of {cmdlet.Name} ({string.Join(", ", declared)}).", doc.File, o.Line));
            foreach (var t in declared.Where(t => !doc.Outputs.Any(o => Matches(o.Name, t))))
                errors.Add(new HelpError("EHG007", $"{cmdlet.Name} declares [OutputType({t})], which OUTPUTS does not describe: add '### {t}'.", doc.File, doc.OutputsLine));
        }

        /// <summary>Writes unless the file already holds exactly this text; temp file + rename, so a reader (or a
        /// concurrent build) never sees a half-written file.</summary>
        private static void WriteAtomic(string path, string text)
        {
            if (File.Exists(path) && File.ReadAllText(path, Encoding.UTF8) == text) return;
            var tmp = string.Concat(path, ".", Guid.NewGuid().ToString("N").AsSpan(0, 8), ".tmp");
            File.WriteAllText(tmp, text, new UTF8Encoding(false));
            File.Move(tmp, path, overwrite: true);
        }
    }
}
