// Small components for the plugin-loading tests.
#pragma once

#include <stdexcept>

import recourse.plugin;

namespace test_plugins {

class SuccessClassifier final : public recourse::Classifier {
 public:
  explicit SuccessClassifier(const recourse::ComponentContext&) {}
  recourse::Outcome classify(const recourse::AttemptView&) const override {
    return {recourse::OutcomeKind::success, recourse::reason::success, {}};
  }
};

class ThrowingFactoryClassifier final : public recourse::Classifier {
 public:
  explicit ThrowingFactoryClassifier(const recourse::ComponentContext&) { throw std::runtime_error("boom in constructor"); }
  recourse::Outcome classify(const recourse::AttemptView&) const override { return {}; }
};

}  // namespace test_plugins
