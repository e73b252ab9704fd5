#Requires -Version 5.1
<#
.SYNOPSIS
    Builds, tests and stages the Engram module.
.DESCRIPTION
    For people who have pwsh or Windows PowerShell; without them, the plain .NET commands in README.md do the same.
    - Build:  dotnet build -c <Configuration>, which stages an importable module at out/Engram/.
    - Test:   dotnet test (xunit; the PowerShell tests host the real engine and import out/Engram).
    - Stage:  copies out/Engram to out/publish/Engram/<ModuleVersion>/ and checks it with Test-ModuleManifest,
              ready for Publish-Module -Path.
.EXAMPLE
    ./build.ps1                 # build and test
.EXAMPLE
    ./build.ps1 -Stage -SkipTests
.EXAMPLE
    ./build.ps1 -Clean -Configuration Debug
#>
[CmdletBinding()]
param(
    [ValidateSet('Release', 'Debug')]
    [string] $Configuration = 'Release',
    [switch] $SkipTests,
    [switch] $Stage,
    [switch] $Clean
)

$ErrorActionPreference = 'Stop'
Set-Location $PSScriptRoot
$solution = Join-Path $PSScriptRoot 'Engram.PowerShell.sln'
$moduleOut = Join-Path $PSScriptRoot 'out/Engram'

function Invoke-Dotnet {
    param([Parameter(ValueFromRemainingArguments)] [string[]] $Arguments)
    Write-Host "dotnet $($Arguments -join ' ')" -ForegroundColor Cyan
    & dotnet @Arguments
    if ($LASTEXITCODE -ne 0) { throw "dotnet $($Arguments[0]) failed with exit code $LASTEXITCODE." }
}

if ($Clean) {
    Remove-Item -Recurse -Force (Join-Path $PSScriptRoot 'out') -ErrorAction SilentlyContinue
    Invoke-Dotnet clean $solution -c $Configuration
}

Invoke-Dotnet build $solution -c $Configuration
$manifest = Test-ModuleManifest (Join-Path $moduleOut 'Engram.psd1')
Write-Host "Built Engram $($manifest.Version) at $moduleOut" -ForegroundColor Green

if (-not $SkipTests) {
    Invoke-Dotnet test $solution -c $Configuration --no-build
}

if ($Stage) {
    $target = Join-Path $PSScriptRoot "out/publish/Engram/$($manifest.Version)"
    Remove-Item -Recurse -Force $target -ErrorAction SilentlyContinue
    New-Item -ItemType Directory -Force $target | Out-Null
    Copy-Item (Join-Path $moduleOut '*') $target -Recurse
    $staged = Test-ModuleManifest (Join-Path $target 'Engram.psd1')
    Write-Host "Staged Engram $($staged.Version) at $target (Publish-Module -Path '$target' -Repository <name>)" -ForegroundColor Green
}
