"""You: your profile and your personal API tokens."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts import selectors as account_selectors
from apps.accounts import services as account_services
from apps.accounts.models import ApiToken
from apps.api import serializers
from apps.api.schema import problems


class MeView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    def _current(self, user) -> dict:
        profile = account_selectors.patient_profile_get(user=user)
        return {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "date_of_birth": profile.date_of_birth if profile else None,
            "sex": profile.sex if profile else "undisclosed",
            "phone": profile.phone if profile else "",
            "preferred_language": profile.preferred_language if profile else "en",
        }

    @extend_schema(
        summary="Your profile", responses={200: serializers.ProfileSerializer, **problems(406, 429)}
    )
    def get(self, request):
        return Response(serializers.ProfileSerializer(self._current(request.user)).data)

    @extend_schema(
        summary="Change your profile",
        description="Send only the fields to change.",
        request=serializers.ProfileSerializer,
        responses={200: serializers.ProfileSerializer, **problems(400, 406, 429)},
    )
    def patch(self, request):
        current = self._current(request.user)
        serializer = serializers.ProfileSerializer(current, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        values = {**current, **serializer.validated_data}
        values.pop("email")
        account_services.patient_profile_update(user=request.user, actor=request.user, **values)
        return Response(serializers.ProfileSerializer(self._current(request.user)).data)


class ApiTokenViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Personal API tokens: send one as `Authorization: Token clx_…`."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = serializers.ApiTokenSerializer
    queryset = ApiToken.objects.none()  # for the schema; get_queryset scopes to the user

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ApiToken.objects.none()
        return account_selectors.api_token_list_for_user(user=self.request.user)

    @extend_schema(
        summary="Your tokens",
        responses={200: serializers.ApiTokenSerializer(many=True), **problems(400, 406, 429)},
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="Create a token",
        description="The secret (`token`) is in this answer only: store it now.",
        request=serializers.ApiTokenCreateSerializer,
        responses={201: serializers.ApiTokenCreatedSerializer, **problems(400, 406, 429)},
    )
    def create(self, request, *args, **kwargs):
        data = serializers.ApiTokenCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token, secret = account_services.api_token_create(
            user=request.user,
            name=data.validated_data["name"],
            expires_in_days=data.validated_data["expires_in_days"],
        )
        token.token = secret
        return Response(
            serializers.ApiTokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(summary="Revoke a token", responses={204: None, **problems(404, 406, 429)})
    def destroy(self, request, *args, **kwargs):
        account_services.api_token_revoke(token=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
