// The whole of a consumer: no #include, only the umbrella module (fmt's module-test idea).
// Without a std header the std operators are not visible here, so the checks use members.
import recourse.core;

#if defined(RECOURSE_API)
#error "RECOURSE_API leaked through import recourse.core"
#endif

int main() {
  auto key = recourse::Key::parse(" payments.Charge ");
  auto handle = recourse::KeyHandle::intern(*key);
  recourse::PolicyTable table;
  auto resolved = recourse::resolve(table, handle.key());
  auto policy = recourse::normalize(resolved.policy);
  auto delay = recourse::parse_duration("1m30s");
  const bool ok = key && key->ns().compare("payments") == 0 && key->name().compare("Charge") == 0 &&
                  policy.retry.max_attempts == 3 && policy.normalized.empty() && delay &&
                  delay->count() == 90'000'000'000 && recourse::format_duration(*delay).compare("90s") == 0 &&
                  recourse::policy_fields().size() > 20;
  return ok ? 0 : 1;
}
