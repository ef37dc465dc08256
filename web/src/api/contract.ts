// Compile-time contract between the dashboard and the API: every type below is still
// written by hand in types.ts (narrower than the document says, e.g. string unions), and
// `npm run typecheck` fails when the OpenAPI document stops satisfying it, so a change to
// the server's answers cannot silently break a page.
import type * as Api from './types'

// Satisfies: every answer the document allows is one the page can read.
type Satisfies<Generated, Read> = [Generated] extends [Read] ? true : false
// Accepts: every body the page sends is one the document allows. A request body is checked
// this way round because the server defaults what a client leaves out, so the page's type
// is stricter than the document's, never wider.
type Accepts<Generated, Sent> = [Sent] extends [Generated] ? true : false
type Assert<T extends true> = T

export type Contract = [
  Assert<Satisfies<Api.Schemas['HomeKPIs'], Api.HomeKPIs>>,
  Assert<Satisfies<Api.Schemas['TraceList'], Api.TraceList>>,
  Assert<Satisfies<Api.Schemas['Score'], Api.Score>>,
  Assert<Satisfies<Api.Schemas['Trace'], Api.Trace>>,
  Assert<Satisfies<Api.Schemas['SessionList'], Api.SessionList>>,
  Assert<Satisfies<Api.Schemas['SessionDetail'], Api.SessionDetail>>,
  Assert<Satisfies<Api.Schemas['Agent'], Api.Agent>>,
  Assert<Satisfies<Api.Schemas['UsageOverview'], Api.UsageOverview>>,
  Assert<Satisfies<Api.Schemas['CallsOverTime'], Api.CallsOverTime>>,
  Assert<Satisfies<Api.Schemas['AgentShare'], Api.AgentShare>>,
  Assert<Satisfies<Api.Schemas['AgentDistribution'], Api.AgentDistribution>>,
  Assert<Satisfies<Api.Schemas['TopUser'], Api.TopUser>>,
  Assert<Satisfies<Api.Schemas['TopUsers'], Api.TopUsers>>,
  Assert<Satisfies<Api.Schemas['CostOverview'], Api.CostOverview>>,
  Assert<Satisfies<Api.Schemas['CostTrend'], Api.CostTrend>>,
  Assert<Satisfies<Api.Schemas['ModelCost'], Api.ModelCost>>,
  Assert<Satisfies<Api.Schemas['CostByModel'], Api.CostByModel>>,
  Assert<Satisfies<Api.Schemas['PerformanceOverview'], Api.PerformanceOverview>>,
  Assert<Satisfies<Api.Schemas['LatencySeries'], Api.LatencySeries>>,
  Assert<Satisfies<Api.Schemas['ErrorAnalysis'], Api.ErrorAnalysis>>,
  Assert<Satisfies<Api.Schemas['Problem'], Api.Problem>>,
  Assert<Satisfies<Api.Schemas['CheckResult'], Api.CheckResult>>,
  Assert<Satisfies<Api.Schemas['Violation'], Api.Violation>>,
  Assert<Satisfies<Api.Schemas['ViolationPage'], Api.ViolationPage>>,
  Assert<Satisfies<Api.Schemas['ViolationStats'], Api.ViolationStats>>,
  Assert<Satisfies<Api.Schemas['GuardrailRule'], Api.GuardrailRule>>,
  Assert<Accepts<Api.Schemas['GuardrailRuleInput'], Api.GuardrailRuleInput>>,
  // The settings are read and written whole, so they are checked both ways.
  Assert<Satisfies<Api.Schemas['GuardrailSettings'], Api.GuardrailSettings>>,
  Assert<Accepts<Api.Schemas['GuardrailSettings'], Api.GuardrailSettings>>,
  Assert<Satisfies<Api.Schemas['AlertRule'], Api.AlertRule>>,
  Assert<Accepts<Api.Schemas['AlertRuleInput'], Api.AlertRuleInput>>,
  Assert<Satisfies<Api.Schemas['AlertRuleList'], Api.AlertRuleList>>,
  Assert<Satisfies<Api.Schemas['AlertRulePreview'], Api.AlertRulePreview>>,
  Assert<Satisfies<Api.Schemas['AlertEvaluation'], Api.AlertEvaluation>>,
  Assert<Satisfies<Api.Schemas['Silence'], Api.Silence>>,
  Assert<Satisfies<Api.Schemas['SilenceList'], Api.SilenceList>>,
]
