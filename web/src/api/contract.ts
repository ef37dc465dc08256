// Compile-time contract between the dashboard and the API: every type below is still
// written by hand in types.ts (narrower than the document says, e.g. string unions), and
// `npm run typecheck` fails when the OpenAPI document stops satisfying it, so a change to
// the server's answers cannot silently break a page.
import type * as Api from './types'

type Satisfies<Generated, Read> = [Generated] extends [Read] ? true : false
type Assert<T extends true> = T

export type Contract = [
  Assert<Satisfies<Api.Schemas['TraceList'], Api.TraceList>>,
  Assert<Satisfies<Api.Schemas['Score'], Api.Score>>,
  Assert<Satisfies<Api.Schemas['Trace'], Api.Trace>>,
  Assert<Satisfies<Api.Schemas['SessionDetail'], Api.SessionDetail>>,
  Assert<Satisfies<Api.Schemas['Agent'], Api.Agent>>,
  Assert<Satisfies<Api.Schemas['ModelCost'], Api.ModelCost>>,
  Assert<Satisfies<Api.Schemas['Problem'], Api.Problem>>,
  Assert<Satisfies<Api.Schemas['CheckResult'], Api.CheckResult>>,
  Assert<Satisfies<Api.Schemas['GuardrailRule'], Api.GuardrailRule>>,
  Assert<Satisfies<Api.Schemas['AlertRule'], Api.AlertRule>>,
  Assert<Satisfies<Api.Schemas['AlertRuleList'], Api.AlertRuleList>>,
  Assert<Satisfies<Api.Schemas['AlertRulePreview'], Api.AlertRulePreview>>,
  Assert<Satisfies<Api.Schemas['AlertEvaluation'], Api.AlertEvaluation>>,
  Assert<Satisfies<Api.Schemas['Silence'], Api.Silence>>,
  Assert<Satisfies<Api.Schemas['SilenceList'], Api.SilenceList>>,
]

// Not checked yet: the document describes these less precisely than the pages read them
// (optional or nullable where the server always answers, wider enums). Tightening the
// document moves them into the list above: HomeKPIs, SessionList, UsageOverview,
// CallsOverTime, AgentShare, AgentDistribution, TopUser, TopUsers, CostOverview, CostTrend,
// CostByModel, PerformanceOverview, LatencySeries, ErrorAnalysis, Violation, ViolationPage,
// ViolationStats, GuardrailRuleInput, GuardrailSettings, AlertRuleInput.
